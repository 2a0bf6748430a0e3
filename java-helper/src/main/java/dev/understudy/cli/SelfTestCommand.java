package dev.understudy.cli;

import dev.understudy.bundle.Bundle;
import dev.understudy.bundle.Manifest;
import dev.understudy.config.Config;
import dev.understudy.identity.Identity;
import dev.understudy.identity.VerifyKey;
import dev.understudy.node.KeyFile;
import dev.understudy.node.PeriodKeys;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code self-test}: the helper's cryptography and parsers on this JVM, in memory: two identities, a bundle
 * sealed by one and opened by the other, a tampered copy refused, a config parsed. The role also runs it
 * to record the class-data-sharing archive that makes every later command start faster.
 */
public final class SelfTestCommand extends BaseCommand {
    @Override
    public String name() {
        return "self-test";
    }

    @Override
    public String summary() {
        return "check this JVM's cryptography and parsers in memory (no files, no network)";
    }

    @Override
    protected org.apache.commons.cli.Options options() {
        return new org.apache.commons.cli.Options();
    }

    @Override
    protected int execute(Options o, Io io) throws Exception {
        long t0 = System.nanoTime();
        Identity a = Identity.generate();
        Identity b = Identity.generate();
        List<KeyFile> files = List.of(new KeyFile("keyring/SELFTEST", 0600, new byte[36]));
        Manifest m = new Manifest("selftest", "a", 1, 0, "1970-01-01T00:00:00Z", "none", List.of(new PeriodKeys(0, List.of("SELFTEST"))),
                Manifest.describe(files));
        Bundle.Sealed s = Bundle.seal(m, files, List.of(b.age().recipient()), a.signing());
        Map<String, List<VerifyKey>> signers = Map.of("a", List.of(a.signing().verifyKey()));
        Bundle.Trust t = new Bundle.Trust("selftest", "b", signers, Set.of(b.age().recipient()), List.of(b.age()),
                new HashMap<>(), 1 << 20);
        Bundle.Opened opened = Bundle.open(s.signature(), s.ciphertext(), t, "self-test bundle");
        if (opened.files().size() != 1) {
            throw new IllegalStateException("self-test bundle lost a file");
        }
        byte[] tampered = s.ciphertext().clone();
        tampered[tampered.length - 1] ^= 1;
        try {
            Bundle.open(s.signature(), tampered, t, "tampered self-test bundle");
            throw new IllegalStateException("a tampered bundle was accepted");
        } catch (dev.understudy.bundle.Rejection expected) {
            // as it must be
        }
        String yaml = "validator: selftest\nhost: a\nhosts:\n  a: {role: main, address: 127.0.0.1, recipients: ["
                + a.age().recipient() + "], verify_keys: [\"" + a.signing().verifyKey() + "\"]}\n"
                + "  b: {role: backup, address: 127.0.0.2, recipients: [" + b.age().recipient() + "], verify_keys: [\""
                + b.signing().verifyKey() + "\"]}\n";
        Config.parse(yaml.getBytes(StandardCharsets.UTF_8), Path.of("self-test.yml"));
        io.out().printf("self-test ok: age X25519, Ed25519, bundle seal/open/refuse, config parser (%d ms)%n",
                (System.nanoTime() - t0) / 1_000_000);
        return Exit.OK;
    }
}
