package dev.understudy.coordination;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent's last resort when a node cannot be confirmed stopped. A fence command that talks a lot must still
 * count as done (its output must not block it on a full pipe), and one that hangs must be killed with everything
 * it started — a half-run fence that leaves a child behind is worse than none.
 */
final class FenceCommandTest {
    @TempDir
    Path dir;

    @Test
    void aFenceCommandThatWritesMoreThanAPipeHoldsStillSucceeds() {
        // 512 KiB on stdout and stderr: far more than a 64 KiB pipe buffer nobody reads
        List<String> argv = List.of("/bin/sh", "-c", "head -c 524288 /dev/zero | tr '\\0' x; head -c 524288 /dev/zero >&2; exit 0");
        long t0 = System.nanoTime();
        assertTrue(NodeSwitch.runFenceCommand(argv, Duration.ofSeconds(5), "[test] "));
        assertTrue(System.nanoTime() - t0 < 4_000_000_000L, "finished well inside its timeout");
    }

    @Test
    void aFailingFenceCommandIsNotSuccess() {
        assertFalse(NodeSwitch.runFenceCommand(List.of("/bin/sh", "-c", "echo cannot stop >&2; exit 3"), Duration.ofSeconds(5), "[test] "));
        assertFalse(NodeSwitch.runFenceCommand(List.of(dir.resolve("no-such-program").toString()), Duration.ofSeconds(5), "[test] "));
    }

    @Test
    void aHangingFenceCommandIsKilledWithItsChildren() throws Exception {
        Path pid = dir.resolve("child.pid");
        List<String> argv = List.of("/bin/sh", "-c", "sleep 60 & echo $! > " + pid + "; wait");
        long t0 = System.nanoTime();
        assertFalse(NodeSwitch.runFenceCommand(argv, Duration.ofMillis(800), "[test] "));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(ms < 3000, "gave up after " + ms + " ms (timeout 800 ms)");
        long child = Long.parseLong(Files.readString(pid).trim());
        Thread.sleep(200);
        assertFalse(running(child), "the fence command's child " + child + " was left running");
    }

    /** Alive and not a zombie (a killed child may wait a moment for whoever reaps it). */
    private static boolean running(long pid) throws Exception {
        Path stat = Path.of("/proc", Long.toString(pid), "stat");
        if (!Files.exists(stat)) {
            return false;
        }
        String s = Files.readString(stat);
        char state = s.substring(s.lastIndexOf(')') + 2).charAt(0);
        return state != 'Z' && state != 'X';
    }
}
