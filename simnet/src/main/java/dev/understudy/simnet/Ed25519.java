package dev.understudy.simnet;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;

/** An Ed25519 key pair in the shape a TON keyring keeps it: a 32-byte private key named by the hash of its public key. */
public final class Ed25519 {
    /** TL constructor id of pk.ed25519, little-endian, as the first four bytes of a TON keyring file. */
    public static final byte[] KEYRING_PREFIX = {0x17, 0x23, 0x68, 0x49};
    public static final int KEYRING_FILE_LENGTH = KEYRING_PREFIX.length + 32;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Ed25519PrivateKeyParameters privateKey;
    private final byte[] publicKey;

    private Ed25519(byte[] seed) {
        this.privateKey = new Ed25519PrivateKeyParameters(seed, 0);
        this.publicKey = privateKey.generatePublicKey().getEncoded();
    }

    public static Ed25519 generate() {
        byte[] seed = new byte[32];
        RANDOM.nextBytes(seed);
        return new Ed25519(seed);
    }

    public static Ed25519 fromSeed(byte[] seed) {
        Objects.requireNonNull(seed, "seed required");
        if (seed.length != 32) {
            throw new IllegalArgumentException("an ed25519 private key is 32 bytes, got " + seed.length);
        }
        return new Ed25519(seed.clone());
    }

    /** Parses a keyring file: 4-byte type prefix, then the 32-byte private key. */
    public static Ed25519 fromKeyringFile(byte[] file, String source) throws BadInputException {
        if (file.length != KEYRING_FILE_LENGTH) {
            throw new BadInputException(source + ": expected " + KEYRING_FILE_LENGTH
                    + " bytes (4-byte type prefix + 32-byte ed25519 private key), got " + file.length);
        }
        if (!Arrays.equals(file, 0, 4, KEYRING_PREFIX, 0, 4)) {
            throw new BadInputException(source + ": type prefix is not pk.ed25519 (17236849)");
        }
        return new Ed25519(Arrays.copyOfRange(file, 4, KEYRING_FILE_LENGTH));
    }

    public byte[] keyringFile() {
        byte[] out = new byte[KEYRING_FILE_LENGTH];
        System.arraycopy(KEYRING_PREFIX, 0, out, 0, 4);
        System.arraycopy(privateKey.getEncoded(), 0, out, 4, 32);
        return out;
    }

    public byte[] publicKey() {
        return publicKey.clone();
    }

    public String publicHex() {
        return HexFormat.of().formatHex(publicKey);
    }

    /** Upper-case hex of SHA-256 of the public key: the key's id and its keyring file name. */
    public String keyId() {
        return keyId(publicKey);
    }

    public static String keyId(byte[] publicKey) {
        try {
            return HexFormat.of().withUpperCase().formatHex(MessageDigest.getInstance("SHA-256").digest(publicKey));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 missing from the JDK", e);
        }
    }

    public byte[] sign(String message) {
        byte[] m = message.getBytes(StandardCharsets.UTF_8);
        Ed25519Signer signer = new Ed25519Signer();
        signer.init(true, privateKey);
        signer.update(m, 0, m.length);
        return signer.generateSignature();
    }

    public static boolean verify(byte[] publicKey, String message, byte[] signature) {
        if (publicKey == null || publicKey.length != 32 || signature == null || signature.length != 64) {
            return false;
        }
        byte[] m = message.getBytes(StandardCharsets.UTF_8);
        Ed25519Signer verifier = new Ed25519Signer();
        verifier.init(false, new Ed25519PublicKeyParameters(publicKey, 0));
        verifier.update(m, 0, m.length);
        return verifier.verifySignature(signature);
    }

    public static byte[] parsePublicHex(String hex, String source) throws BadInputException {
        try {
            byte[] key = HexFormat.of().parseHex(hex);
            if (key.length != 32) {
                throw new BadInputException(source + ": an ed25519 public key is 32 bytes (64 hex digits), got "
                        + key.length + " bytes");
            }
            return key;
        } catch (IllegalArgumentException e) {
            throw new BadInputException(source + ": not a hex string: " + e.getMessage(), e);
        }
    }
}
