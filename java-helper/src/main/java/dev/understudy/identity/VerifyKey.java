package dev.understudy.identity;

import dev.understudy.cli.BadInputException;
import java.util.Arrays;
import java.util.Base64;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;

/** An Ed25519 public key, written {@code ed25519:BASE64}: what peers use to check a host's bundle signatures. */
public final class VerifyKey {
    public static final String PREFIX = "ed25519:";
    private final byte[] key;

    VerifyKey(byte[] key) {
        if (key.length != 32) {
            throw new IllegalArgumentException("an ed25519 public key is 32 bytes, got " + key.length);
        }
        this.key = key.clone();
    }

    public static VerifyKey parse(String text, String source) throws BadInputException {
        if (text == null || !text.startsWith(PREFIX)) {
            throw new BadInputException(source + ": expected an Ed25519 verify key 'ed25519:BASE64', got '" + text + "'");
        }
        byte[] k;
        try {
            k = Base64.getDecoder().decode(text.substring(PREFIX.length()));
        } catch (IllegalArgumentException e) {
            throw new BadInputException(source + ": verify key is not base64: " + e.getMessage(), e);
        }
        if (k.length != 32) {
            throw new BadInputException(source + ": an Ed25519 verify key is 32 bytes, got " + k.length);
        }
        return new VerifyKey(k);
    }

    public boolean verify(byte[] message, byte[] signature) {
        if (signature == null || signature.length != 64) {
            return false;
        }
        Ed25519Signer v = new Ed25519Signer();
        v.init(false, new Ed25519PublicKeyParameters(key, 0));
        v.update(message, 0, message.length);
        return v.verifySignature(signature);
    }

    @Override
    public String toString() {
        return PREFIX + Base64.getEncoder().encodeToString(key);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof VerifyKey v && Arrays.equals(key, v.key);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(key);
    }
}
