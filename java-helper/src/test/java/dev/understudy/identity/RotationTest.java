package dev.understudy.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.understudy.bundle.Bundle;
import dev.understudy.bundle.BundleStore;
import dev.understudy.cli.Exit;
import dev.understudy.config.Config;
import dev.understudy.testing.Bundles;
import dev.understudy.testing.Cli;
import dev.understudy.testing.Deployment;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Key rotation on the backup, step by step, checking after every step that every stored bundle still opens
 * and that bundles in flight (encrypted to the old key) are still accepted until the old key is retired.
 */
class RotationTest {
    @TempDir
    Path dir;

    /**
     * The backup of a main-and-backup deployment (nodes unreachable: these tests need only its store), having
     * received the main's first bundle: seq 1, period 5, sealed to the backup's current key.
     */
    record Backup(Deployment d, String cfg, IdentityStore ids, BundleStore store) {}

    Backup backup() throws Exception {
        Deployment d = new Deployment(dir);
        d.writeConfigs(new Deployment.Nodes("http://127.0.0.1:9", "http://127.0.0.1:9", dir.resolve("h"), "http://127.0.0.1:9",
                dir.resolve("h")), 22);
        Config c = Config.load(d.backupConfig);
        Bundles.drop(d.incoming, Bundles.seal("lab-main", 1, 5, List.of(d.backupId.age().recipient()), d.mainId.signing()));
        assertEquals(0, Cli.run("sync", "receive", "--config", d.backupConfig.toString()).code());
        return new Backup(d, d.backupConfig.toString(), new IdentityStore(c.identityDir()), new BundleStore(c.stateDir(), 5));
    }

    @Test
    void noStepLeavesABundleThatCannotBeOpened() throws Exception {
        Backup b = backup();
        Deployment d = b.d();
        String cfg = b.cfg();
        IdentityStore ids = b.ids();
        BundleStore store = b.store();
        String oldRecipient = d.backupId.age().recipient();
        assertEquals(1, opens(store, ids));

        Cli.Run prep = Cli.run("rotate-keys", "prepare", "--config", cfg, "--json");
        assertEquals(0, prep.code(), prep.toString());
        String newRecipient = ids.next().age().recipient();
        assertEquals(1, opens(store, ids));

        // peers now encrypt to both (the playbook re-rendered their config)
        Bundles.drop(d.incoming, Bundles.seal("lab-main", 2, 5, List.of(oldRecipient, newRecipient), d.mainId.signing()));
        assertEquals(0, Cli.run("sync", "receive", "--config", cfg).code());
        assertEquals(2, opens(store, ids));

        Cli.Run commit = Cli.run("rotate-keys", "commit", "--config", cfg);
        assertEquals(0, commit.code(), commit.toString());
        assertEquals(newRecipient, ids.current().age().recipient());
        for (BundleStore.Entry e : store.index().entries()) {
            assertEquals(newRecipient, e.recipient(), "re-encrypted to the new identity: " + e.name());
        }
        assertEquals(2, opens(store, ids));
        assertEquals(2, opensWith(store, List.of(ids.current().age())), "the new identity alone opens the store");

        // a bundle in flight, encrypted only to the old key, still gets in
        Bundles.drop(d.incoming, Bundles.seal("lab-main", 3, 6, List.of(oldRecipient), d.mainId.signing()));
        assertEquals(0, Cli.run("sync", "receive", "--config", cfg).code());
        assertEquals(3, opens(store, ids));
        Cli.Run early = Cli.run("rotate-keys", "retire", "--config", cfg);
        assertEquals(Exit.CHECK_FAILED, early.code(), early.toString());
        assertTrue(early.err().contains("opens only with a retired identity"), early.err());

        assertEquals(0, Cli.run("rotate-keys", "commit", "--config", cfg).code());
        Cli.Run retire = Cli.run("rotate-keys", "retire", "--config", cfg);
        assertEquals(0, retire.code(), retire.toString());
        assertEquals(3, opensWith(store, List.of(ids.current().age())));
        assertEquals(List.of(), ids.retiredDirs());

        // the old key is gone: a bundle encrypted only to it is now refused
        Bundles.drop(d.incoming, Bundles.seal("lab-main", 4, 6, List.of(oldRecipient), d.mainId.signing()));
        Cli.Run late = Cli.run("sync", "receive", "--config", cfg);
        assertEquals(Exit.DATA, late.code());
        assertTrue(late.err().contains("WRONG_RECIPIENT"), late.err());
        assertNotEquals(oldRecipient, ids.current().age().recipient());
    }

    /** A reader (receive, status, activation) running during promote and retire never sees half an identity. */
    @Test
    void aConcurrentReaderNeverSeesAHalfWrittenIdentity() throws Exception {
        IdentityStore ids = new IdentityStore(dir.resolve("identity"));
        ids.init(false, null);
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.atomic.AtomicInteger reads = new java.util.concurrent.atomic.AtomicInteger();
        java.util.List<Throwable> errors = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        Thread reader = new Thread(() -> {
            while (!stop.get()) {
                try {
                    assertTrue(ids.decryptionIdentities().size() >= 1);
                    reads.incrementAndGet();
                } catch (Throwable e) {
                    errors.add(e);
                }
            }
        });
        reader.start();
        // at least 15 rotations, and on until the reader has read 50 times during them (a slow-starting reader
        // thread on a busy machine once read only 11 times in 15 rotations); bounded
        int rotations = 0;
        long deadline = System.nanoTime() + java.time.Duration.ofSeconds(30).toNanos();
        while ((rotations < 15 || reads.get() < 50) && System.nanoTime() < deadline) {
            ids.prepareNext(null);
            ids.promoteNext();
            ids.retire();
            rotations++;
        }
        stop.set(true);
        reader.join();
        assertEquals(List.of(), errors.stream().map(Throwable::toString).distinct().toList(), reads.get() + " reads");
        assertTrue(reads.get() >= 50, "the reader ran during the rotations: " + reads.get() + " reads in " + rotations + " rotations");
    }

    /**
     * A reader that took the index before a commit re-encrypted the store (sync status --verify, or the agent
     * installing keys at a takeover) still reads the bundle: the entry it holds names a file that is gone.
     */
    @Test
    void aReaderHoldingAnEntryFromBeforeACommitStillOpensTheBundle() throws Exception {
        Backup b = backup();
        Deployment d = b.d();
        String cfg = b.cfg();
        IdentityStore ids = b.ids();
        BundleStore store = b.store();
        BundleStore.Entry before = store.latestFor(5);
        assertEquals(0, Cli.run("rotate-keys", "prepare", "--config", cfg).code());
        assertEquals(0, Cli.run("rotate-keys", "commit", "--config", cfg).code());

        assertThrows(java.nio.file.NoSuchFileException.class, () -> store.ciphertext(before), "the commit replaced the file");
        BundleStore.Stored read = store.read(before);
        assertNotEquals(before.file(), read.entry().file());
        Bundle.reopen(read.signature(), read.ciphertext(), read.entry().sha256(), ids.decryptionIdentities(), 1 << 20, before.name());
    }

    static int opens(BundleStore store, IdentityStore ids) throws Exception {
        return opensWith(store, ids.decryptionIdentities());
    }

    static int opensWith(BundleStore store, List<AgeIdentity> identities) throws Exception {
        int n = 0;
        for (BundleStore.Entry e : store.index().entries()) {
            Bundle.reopen(store.signature(e), store.ciphertext(e), e.sha256(), identities, 1 << 20, e.name());
            n++;
        }
        return n;
    }
}
