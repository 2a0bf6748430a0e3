package dev.understudy.transfer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.understudy.bundle.Bundle;
import dev.understudy.cli.Exit;
import dev.understudy.config.Config;
import dev.understudy.identity.Identity;
import dev.understudy.testing.Bundles;
import dev.understudy.testing.Cli;
import dev.understudy.testing.Deployment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `sync receive` on bad input: each case gets exit 65, a quarantine record with its own reason, and the
 * store — the last good bundle and the index — byte for byte as before. A full disk gets exit 74 and keeps
 * the bundle in incoming.
 */
class ReceiveTest {
    @TempDir
    Path dir;
    Deployment d;
    Path store;

    @BeforeEach
    void setUp() throws Exception {
        d = new Deployment(dir);
        d.writeConfigs(new Deployment.Nodes("http://127.0.0.1:9", "http://127.0.0.1:9", dir.resolve("h"), "http://127.0.0.1:9",
                dir.resolve("h")), 22);
        store = Config.load(d.backupConfig).stateDir().resolve("bundles");
    }

    Cli.Run receive() {
        return Cli.run("sync", "receive", "--config", d.backupConfig.toString());
    }

    Map<String, String> snapshot() throws Exception {
        Map<String, String> m = new TreeMap<>();
        try (Stream<Path> s = Files.list(store)) {
            for (Path p : s.toList()) {
                m.put(p.getFileName().toString(), Arrays.toString(Files.readAllBytes(p)));
            }
        }
        return m;
    }

    List<String> incoming() throws Exception {
        try (Stream<Path> s = Files.list(d.incoming)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    String lastReason() throws Exception {
        Path q = store.getParent().resolve("quarantine");
        try (Stream<Path> s = Files.list(q)) {
            Path last = s.filter(p -> p.toString().endsWith(".reason.json")).sorted().reduce((a, b) -> b).orElseThrow();
            return Files.readString(last);
        }
    }

    Bundle.Sealed good(long seq) throws Exception {
        return Bundles.seal("lab-main", seq, 5, List.of(d.backupId.age().recipient()), d.mainId.signing());
    }

    void refused(String reason, String message) throws Exception {
        Map<String, String> before = snapshot();
        Cli.Run r = receive();
        assertEquals(Exit.DATA, r.code(), r.toString());
        assertTrue(r.err().contains("REJECTED") && r.err().contains(reason), r.toString());
        String q = lastReason();
        assertTrue(q.contains("\"reason\" : \"" + reason + "\"") && q.contains(message), q);
        assertEquals(before, snapshot(), "the store changed on a rejected bundle");
        assertEquals(List.of(), incoming());
    }

    @Test
    void goodBundlesAreStoredAndEveryBadOneIsQuarantinedWithItsReason() throws Exception {
        Bundle.Sealed first = good(1000);
        Bundles.drop(d.incoming, first);
        Cli.Run ok = receive();
        assertEquals(0, ok.code(), ok.toString());
        assertEquals(List.of(), incoming());
        assertTrue(Files.exists(store.resolve(first.name() + ".age")));

        Bundle.Sealed b = good(1001);
        byte[] flipped = b.ciphertext().clone();
        flipped[flipped.length / 2] ^= 1;
        Files.write(d.incoming.resolve(b.name() + ".age"), flipped);
        Files.write(d.incoming.resolve(b.name() + ".sig"), b.signature());
        refused("BAD_SIGNATURE", "altered or signed by another key");

        Files.write(d.incoming.resolve(b.name() + ".age"), Arrays.copyOf(b.ciphertext(), b.ciphertext().length / 2));
        Files.write(d.incoming.resolve(b.name() + ".sig"), b.signature());
        refused("TRUNCATED", "truncated upload");

        Bundles.drop(d.incoming, first);
        refused("REPLAYED", "not above the last accepted 1000");

        Identity stranger = Identity.generate();
        Bundles.drop(d.incoming, Bundles.seal("lab-main", 1002, 5, List.of(d.backupId.age().recipient()), stranger.signing()));
        refused("BAD_SIGNATURE", "lab-main's key");

        Bundles.drop(d.incoming, Bundles.seal("lab-main", 1003, 5, List.of(stranger.age().recipient()), d.mainId.signing()));
        refused("WRONG_RECIPIENT", "not encrypted to this host");

        Bundles.drop(d.incoming, Bundles.seal("lab-backup", 1004, 5, List.of(d.backupId.age().recipient()), d.backupId.signing()));
        refused("UNKNOWN_SIGNER", "not a trusted peer");

        Files.write(d.incoming.resolve("big.age"), new byte[2 * 1024 * 1024]);
        Files.write(d.incoming.resolve("big.sig"), "{}".getBytes(StandardCharsets.UTF_8));
        refused("OVERSIZED", "more than sync.max_bundle_bytes");

        Files.write(d.incoming.resolve(b.name() + ".age"), b.ciphertext());
        Files.write(d.incoming.resolve(b.name() + ".sig"), "{\"header\": \"{broken".getBytes(StandardCharsets.UTF_8));
        refused("MALFORMED", "malformed JSON");

        Files.write(d.incoming.resolve("lonely.sig"), b.signature());
        refused("INCOMPLETE", "without its ciphertext");

        // after all that, the last good bundle still verifies
        Config c = Config.load(d.backupConfig);
        var st = new dev.understudy.bundle.BundleStore(c.stateDir(), 3);
        var e = st.latestFor(5);
        assertEquals(first.name(), e.name());
        Bundle.reopen(st.signature(e), st.ciphertext(e), e.sha256(),
                new dev.understudy.identity.IdentityStore(c.identityDir()).decryptionIdentities(), 1 << 20, e.name());
    }

    @Test
    void aFullDiskKeepsTheBundleInIncomingAndTheStoreUntouched() throws Exception {
        Bundles.drop(d.incoming, good(1));
        assertEquals(0, receive().code());
        Map<String, String> before = snapshot();
        Bundle.Sealed next = good(2);
        Bundles.drop(d.incoming, next);
        // The store cannot write the new ciphertext (a directory squats on its name, as ENOSPC would stop it).
        Path blocker = Files.createDirectories(store.resolve(next.name() + ".age/x"));
        Cli.Run r = receive();
        assertEquals(Exit.IO, r.code(), r.toString());
        assertTrue(r.err().contains("NOT STORED"), r.err());
        assertEquals(List.of(next.name() + ".age", next.name() + ".sig"), incoming());
        Files.delete(blocker);
        Files.delete(blocker.getParent());
        assertEquals(before, snapshot());
        Cli.Run retry = receive();
        assertEquals(0, retry.code(), retry.toString());
        assertEquals(List.of(), incoming());
    }

    @Test
    void everyHostileEntryIsRefusedOnItsOwnAndTheGoodBundleBehindThemIsStored() throws Exception {
        String marker = "s3cr3t{drop}";
        Path secret = Files.writeString(dir.resolve("secret.yml"), "token: " + marker + "\n");
        Path in = d.incoming;
        // links to a secret (symbolic and hard), to an endless device, a FIFO, a directory, a huge sparse file
        Files.createSymbolicLink(in.resolve("a.sig"), secret);
        Files.write(in.resolve("a.age"), new byte[10]);
        Files.createLink(in.resolve("h.sig"), secret);
        Files.write(in.resolve("h.age"), new byte[10]);
        Files.createSymbolicLink(in.resolve("z.age"), Path.of("/dev/zero"));
        Files.write(in.resolve("z.sig"), "{}".getBytes(StandardCharsets.UTF_8));
        assertEquals(0, new ProcessBuilder("mkfifo", in.resolve("f.sig").toString()).start().waitFor());
        Files.createDirectories(in.resolve("d.sig/inner"));
        Files.createSymbolicLink(in.resolve("d.sig/inner/link"), secret);
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(in.resolve("big.sig").toFile(), "rw")) {
            f.setLength(300L << 20);
        }
        Files.write(in.resolve("big.age"), new byte[10]);
        // a partial upload left for hours, as a directory with a link inside
        Path stale = Files.createDirectories(in.resolve(".tmp-old/x"));
        Files.createSymbolicLink(stale.resolve("l"), secret);
        Files.setLastModifiedTime(in.resolve(".tmp-old"), java.nio.file.attribute.FileTime.from(
                java.time.Instant.now().minus(java.time.Duration.ofHours(2))));
        Bundle.Sealed next = good(7);
        Bundles.drop(in, next);

        Cli.Run r = receive();
        assertEquals(Exit.DATA, r.code(), r.toString());
        assertTrue(r.out().contains("accepted " + next.name()), r.toString());
        for (String refused : List.of("a.sig: MALFORMED", "h.sig: MALFORMED", "z.age: MALFORMED", "f.sig: MALFORMED", "d.sig: MALFORMED",
                "big: OVERSIZED", "z: INCOMPLETE")) {
            assertTrue(r.err().contains("REJECTED " + refused), refused + " in " + r);
        }
        assertEquals(List.of("a.age", "h.age"), incoming(), "only the halves whose partner was refused wait (10 minutes)");
        assertEquals("token: " + marker + "\n", Files.readString(secret), "the secret is untouched");
        assertTrue(Files.exists(Path.of("/dev/zero")));
        assertTrue(!r.toString().contains(marker), "the secret leaked into the output: " + r);
        Path q = store.getParent().resolve("quarantine");
        try (Stream<Path> files = Files.walk(q)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                assertTrue(!Files.readString(f, StandardCharsets.ISO_8859_1).contains(marker), "secret in " + f);
                assertTrue(Files.size(f) < 1 << 20, f + " is " + Files.size(f) + " bytes");
            }
        }
        try (Stream<Path> reasons = Files.list(q)) {
            long notKept = reasons.filter(f -> f.toString().endsWith(".reason.json")).filter(f -> {
                try {
                    return Files.readString(f).contains("\"kept\" : false");
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).count();
            assertEquals(6, notKept, "links, FIFO, directory and the oversized pair are recorded without their content");
        }
        assertTrue(Files.notExists(in.resolve(".tmp-old")), "the stale partial upload is gone");
    }

    @Test
    void anAcknowledgementThatCannotBeWrittenDoesNotUndoTheStoredBundle() throws Exception {
        // a directory squats on the acknowledgement's name: the write fails, the bundle stays stored
        Files.createDirectories(d.incoming.resolveSibling("acks/lab-main.json/x"));
        Bundle.Sealed b = good(5);
        Bundles.drop(d.incoming, b);
        Cli.Run r = receive();
        assertEquals(0, r.code(), r.toString());
        assertTrue(Files.exists(store.resolve(b.name() + ".age")));
    }

    @Test
    void theStoreKeepsTheLastNButNeverTheOnlyCopyOfAPeriod() throws Exception {
        Bundles.drop(d.incoming, Bundles.seal("lab-main", 10, 4, List.of(d.backupId.age().recipient()), d.mainId.signing()));
        assertEquals(0, receive().code());
        for (long seq = 11; seq <= 15; seq++) {
            Bundles.drop(d.incoming, good(seq));
            assertEquals(0, receive().code());
        }
        var idx = new dev.understudy.bundle.BundleStore(Config.load(d.backupConfig).stateDir(), 3).index();
        assertEquals(List.of(10L, 14L, 15L), idx.entries().stream().map(e -> e.seq()).toList(),
                "keep_bundles 3: the newest two of period 5 and the only one of period 4");
        try (Stream<Path> s = Files.list(store)) {
            assertEquals(8, s.count(), "3 bundles (.age + .sig), the index and the high-water mark");
        }
    }
}
