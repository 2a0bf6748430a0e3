package dev.understudy.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.understudy.cli.TempFailException;
import dev.understudy.testing.LockHolder;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The lock between runs of one command, held by another process as in the field. */
class RunLockTest {
    @TempDir
    Path dir;

    @Test
    void withoutAWaitAHeldLockIsRefusedAtOnceNamingTheFile() throws Exception {
        Path file = dir.resolve("push.lock");
        try (LockHolder.Held holder = LockHolder.hold(file, 10_000)) {
            long t0 = System.nanoTime();
            TempFailException e = assertThrows(TempFailException.class, () -> RunLock.acquire(file, "sync push"));
            assertTrue(e.getMessage().contains("another sync push is running") && e.getMessage().contains(file.toString()),
                    e.getMessage());
            assertTrue(System.nanoTime() - t0 < Duration.ofSeconds(1).toNanos(), "refused without waiting");
        }
    }

    @Test
    void aWaitingRunTakesTheLockOnceTheOtherRunEnds() throws Exception {
        Path file = dir.resolve("push.lock");
        try (LockHolder.Held holder = LockHolder.hold(file, 800)) {
            long t0 = System.nanoTime();
            try (RunLock lock = RunLock.acquire(file, "sync push", Duration.ofSeconds(20))) {
                long waited = (System.nanoTime() - t0) / 1_000_000;
                assertEquals(0, holder.process().waitFor(), "the holder ended normally");
                assertTrue(waited >= 300, "took the lock only after the holder released it, waited " + waited + " ms");
            }
        }
    }

    @Test
    void aWaitIsBoundedAndEndsInTheSameRefusal() throws Exception {
        Path file = dir.resolve("receive.lock");
        try (LockHolder.Held holder = LockHolder.hold(file, 10_000)) {
            long t0 = System.nanoTime();
            TempFailException e = assertThrows(TempFailException.class,
                    () -> RunLock.acquire(file, "sync receive", Duration.ofMillis(400)));
            long waited = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(waited >= 400 && waited < 5000, "waited " + waited + " ms for a 400 ms bound");
            assertTrue(e.getMessage().contains("held for 400 ms"), e.getMessage());
        }
    }

    @Test
    void aLinkADirectoryOrAFifoInPlaceOfTheLockIsRefusedAndNothingIsFollowed() throws Exception {
        Path target = dir.resolve("shadow");
        java.nio.file.Files.writeString(target, "secret");
        Path link = java.nio.file.Files.createSymbolicLink(dir.resolve("a.lock"), target);
        java.io.IOException e = assertThrows(java.io.IOException.class, () -> RunLock.acquire(link, "sync receive"));
        assertTrue(e.getMessage().contains("a symbolic link"), e.getMessage());
        assertEquals("secret", java.nio.file.Files.readString(target), "the link's target is untouched");

        Path dangling = java.nio.file.Files.createSymbolicLink(dir.resolve("b.lock"), dir.resolve("created-through-link"));
        assertThrows(java.io.IOException.class, () -> RunLock.acquire(dangling, "sync receive"));
        assertTrue(java.nio.file.Files.notExists(dir.resolve("created-through-link")), "nothing created through the link");

        Path sub = java.nio.file.Files.createDirectory(dir.resolve("c.lock"));
        assertTrue(assertThrows(java.io.IOException.class, () -> RunLock.acquire(sub, "sync receive")).getMessage()
                .contains("a directory"));

        Path fifo = dir.resolve("d.lock");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
        long t0 = System.nanoTime();
        assertTrue(assertThrows(java.io.IOException.class, () -> RunLock.acquire(fifo, "sync receive")).getMessage()
                .contains("not a regular file"));
        assertTrue(System.nanoTime() - t0 < Duration.ofSeconds(5).toNanos(), "refused without blocking on the FIFO");
    }
}
