package dev.understudy.identity;

import com.exceptionfactory.jagged.RecipientStanzaReader;
import com.exceptionfactory.jagged.RecipientStanzaWriter;
import com.exceptionfactory.jagged.x25519.X25519KeyFactory;
import com.exceptionfactory.jagged.x25519.X25519KeyPairGenerator;
import com.exceptionfactory.jagged.x25519.X25519RecipientStanzaReaderFactory;
import com.exceptionfactory.jagged.x25519.X25519RecipientStanzaWriterFactory;
import dev.understudy.cli.BadInputException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import javax.crypto.spec.SecretKeySpec;

/**
 * An age X25519 identity in the file format of {@code age-keygen}, so the stock {@code age -d -i FILE}
 * opens a bundle with it in an emergency.
 */
public final class AgeIdentity {
    private final String secret;
    private final String recipient;

    private AgeIdentity(String secret, String recipient) {
        this.secret = secret;
        this.recipient = recipient;
    }

    public static AgeIdentity generate() {
        try {
            KeyPair kp = new X25519KeyPairGenerator().generateKeyPair();
            return new AgeIdentity(kp.getPrivate().toString(), kp.getPublic().toString());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("X25519 is missing from this JDK", e);
        }
    }

    public String recipient() {
        return recipient;
    }

    public RecipientStanzaReader reader() throws GeneralSecurityException {
        return X25519RecipientStanzaReaderFactory.newRecipientStanzaReader(secret);
    }

    public static RecipientStanzaWriter writer(String recipient, String source) throws BadInputException {
        try {
            return X25519RecipientStanzaWriterFactory.newRecipientStanzaWriter(recipient);
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new BadInputException(source + ": not a valid age recipient '" + recipient + "': " + e.getMessage(), e);
        }
    }

    /** The key file as age-keygen writes it. */
    public byte[] file() {
        return ("# created: " + Instant.now().truncatedTo(ChronoUnit.SECONDS) + "\n# public key: " + recipient + "\n"
                + secret + "\n").getBytes(StandardCharsets.US_ASCII);
    }

    public static AgeIdentity fromFile(byte[] content, String source) throws BadInputException {
        String secret = null;
        for (String line : new String(content, StandardCharsets.US_ASCII).split("\n")) {
            String l = line.trim();
            if (l.startsWith("AGE-SECRET-KEY-1")) {
                if (secret != null) {
                    throw new BadInputException(source + ": more than one age secret key; expected exactly one");
                }
                secret = l;
            }
        }
        if (secret == null) {
            throw new BadInputException(source + ": no AGE-SECRET-KEY-1... line");
        }
        try {
            X25519RecipientStanzaReaderFactory.newRecipientStanzaReader(secret);
            java.security.Key pub = new X25519KeyFactory().translateKey(
                    new SecretKeySpec(secret.getBytes(StandardCharsets.US_ASCII), "X25519"));
            return new AgeIdentity(secret, pub.toString());
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new BadInputException(source + ": not a valid age X25519 identity: " + e.getMessage(), e);
        }
    }
}
