package dev.understudy.coordination;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The guard reads role.json as root in the state directory, which the service user can write: a planted link, FIFO
 * or oversized file is refused (the guard then refuses the start), never followed, waited on or read whole.
 */
class LocalRoleTest {
    @TempDir
    Path dir;

    @Test
    @Timeout(value = 10, unit = TimeUnit.SECONDS)
    void onlyARegularSmallFileIsRead() throws Exception {
        new LocalRole(true, true, 42, 42, "2026-01-01T00:00:00Z").write(dir);
        assertTrue(LocalRole.read(dir).holder());

        Path f = dir.resolve(LocalRole.FILE);
        Path elsewhere = Files.move(f, dir.resolve("elsewhere.json"));
        Files.createSymbolicLink(f, elsewhere);
        assertThrows(IOException.class, () -> LocalRole.read(dir), "a link, even to a valid record");

        Files.delete(f);
        new ProcessBuilder("mkfifo", f.toString()).start().waitFor();
        IOException fifo = assertThrows(IOException.class, () -> LocalRole.read(dir), "a FIFO, without blocking");
        assertTrue(fifo.getMessage().contains("not a regular file"), fifo.getMessage());

        Files.delete(f);
        Files.write(f, new byte[70 * 1024]);
        assertThrows(IOException.class, () -> LocalRole.read(dir), "larger than 64 KiB");

        Files.delete(f);
        assertFalse(LocalRole.read(dir).known());
    }
}
