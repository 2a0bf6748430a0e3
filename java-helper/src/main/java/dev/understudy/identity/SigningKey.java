package dev.understudy.identity;

import dev.understudy.cli.BadInputException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;

/**
 * A host's Ed25519 signing key, stored as a PKCS#8 PEM file (RFC 8410) that OpenSSL can read:
 * {@code openssl pkey -in signing.key -pubout}.
 */
public final class SigningKey {
    /** DER prefix of a PKCS#8 PrivateKeyInfo holding an Ed25519 key (RFC 8410 section 7). */
    private static final byte[] PKCS8_PREFIX = {0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70,
        0x04, 0x22, 0x04, 0x20};
    private static final String BEGIN = "-----BEGIN PRIVATE KEY-----";
    private static final String END = "-----END PRIVATE KEY-----";

    private final Ed25519PrivateKeyParameters key;

    private SigningKey(Ed25519PrivateKeyParameters key) {
        this.key = key;
    }

    public static SigningKey generate() {
        return new SigningKey(new Ed25519PrivateKeyParameters(new SecureRandom()));
    }

    public VerifyKey verifyKey() {
        return new VerifyKey(key.generatePublicKey().getEncoded());
    }

    public byte[] sign(byte[] message) {
        Ed25519Signer s = new Ed25519Signer();
        s.init(true, key);
        s.update(message, 0, message.length);
        return s.generateSignature();
    }

    public byte[] pem() {
        byte[] der = new byte[PKCS8_PREFIX.length + 32];
        System.arraycopy(PKCS8_PREFIX, 0, der, 0, PKCS8_PREFIX.length);
        System.arraycopy(key.getEncoded(), 0, der, PKCS8_PREFIX.length, 32);
        String b64 = Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der);
        return (BEGIN + "\n" + b64 + "\n" + END + "\n").getBytes(StandardCharsets.US_ASCII);
    }

    public static SigningKey fromPem(byte[] pem, String source) throws BadInputException {
        String text = new String(pem, StandardCharsets.US_ASCII).trim();
        int b = text.indexOf(BEGIN);
        int e = text.indexOf(END);
        if (b < 0 || e < b) {
            throw new BadInputException(source + ": expected a PEM 'PRIVATE KEY' (PKCS#8 Ed25519)");
        }
        byte[] der;
        try {
            der = Base64.getMimeDecoder().decode(text.substring(b + BEGIN.length(), e));
        } catch (IllegalArgumentException ex) {
            throw new BadInputException(source + ": PEM body is not base64", ex);
        }
        if (der.length != PKCS8_PREFIX.length + 32 || !Arrays.equals(der, 0, PKCS8_PREFIX.length, PKCS8_PREFIX, 0,
                PKCS8_PREFIX.length)) {
            throw new BadInputException(source + ": not a PKCS#8 Ed25519 private key");
        }
        return new SigningKey(new Ed25519PrivateKeyParameters(der, PKCS8_PREFIX.length));
    }
}
