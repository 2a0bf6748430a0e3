package dev.understudy.testing;

import dev.understudy.bundle.Bundle;
import dev.understudy.bundle.Manifest;
import dev.understudy.identity.SigningKey;
import dev.understudy.node.KeyFile;
import dev.understudy.node.PeriodKeys;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Bundles made directly (without a node) and dropped into an incoming directory. */
public final class Bundles {
    private Bundles() {
    }

    public static final List<KeyFile> FILES = List.of(
            new KeyFile("config.json", 0600, "{\"validators\":[]}".getBytes(StandardCharsets.UTF_8)),
            new KeyFile("keyring/" + "CD".repeat(32), 0600, new byte[] {0x17, 0x23, 0x68, 0x49, 9, 9}));

    public static Bundle.Sealed seal(String source, long seq, long period, List<String> recipients, SigningKey key)
            throws Exception {
        Manifest m = new Manifest("val1", source, seq, 1, "2026-11-21T00:00:00Z", "simnet",
                List.of(new PeriodKeys(period, List.of("CD".repeat(32)))), Manifest.describe(FILES));
        return Bundle.seal(m, FILES, recipients, key);
    }

    /** A bundle made under role epoch {@code epoch} whose one key for {@code period} has the id {@code keyId}. */
    public static Bundle.Sealed seal(String source, long seq, long epoch, long period, String keyId, List<String> recipients,
            SigningKey key) throws Exception {
        List<KeyFile> files = List.of(new KeyFile("keyring/" + keyId, 0600, keyId.getBytes(StandardCharsets.UTF_8)));
        Manifest m = new Manifest("val1", source, seq, epoch, "2026-11-21T00:00:00Z", "simnet",
                List.of(new PeriodKeys(period, List.of(keyId))), Manifest.describe(files));
        return Bundle.seal(m, files, recipients, key);
    }

    public static void drop(Path incoming, Bundle.Sealed b) throws Exception {
        Files.write(incoming.resolve(b.name() + Bundle.AGE), b.ciphertext());
        Files.write(incoming.resolve(b.name() + Bundle.SIG), b.signature());
    }
}
