package dev.understudy.coordination;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.understudy.config.CoordinationSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The watchdog drivers write what their readers expect. The device driver is exercised on a plain file standing
 * in for /dev/watchdog: a test must never open a real watchdog device (it would reset the machine).
 */
class HangWatchdogTest {
    @TempDir
    Path dir;

    @Test
    void theLabDriverRewritesItsStateOnFeedsAnEighthOfItsTimeoutApartAndDisarmsWithAMagicClose() throws Exception {
        Path state = dir.resolve("state");
        HangWatchdog w = HangWatchdog.create(new CoordinationSettings.WatchdogSettings("file", state, Duration.ofMillis(700)));
        assertFalse(w.armed());
        w.arm();
        assertTrue(w.armed());
        assertEquals("armed 700 1", Files.readString(state).trim());
        long m1 = Files.getLastModifiedTime(state).toMillis();
        w.feed();
        assertEquals("armed 700 1", Files.readString(state).trim(), "a feed within 700/8 ms of the last is not written");
        Thread.sleep(700 / 8 + 5);
        w.feed();
        assertEquals("armed 700 2", Files.readString(state).trim());
        assertTrue(Files.getLastModifiedTime(state).toMillis() >= m1);
        w.disarm();
        assertFalse(w.armed());
        assertEquals("disarmed", Files.readString(state).trim());
        w.feed();
        assertEquals("disarmed", Files.readString(state).trim(), "a disarmed watchdog is not fed back to life");
    }

    /** The emulator reads the state file while the agent feeds it: never an empty or partial line. */
    @Test
    void aReaderOfTheLabDriversStateNeverSeesAPartialFeed() throws Exception {
        Path state = dir.resolve("state");
        // a 1 ms timeout: rewritten at most every 125 µs, as fast as the loop below feeds
        HangWatchdog w = HangWatchdog.create(new CoordinationSettings.WatchdogSettings("file", state, Duration.ofMillis(1)));
        w.arm();
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.List<String> bad = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        java.util.concurrent.atomic.AtomicInteger reads = new java.util.concurrent.atomic.AtomicInteger();
        Thread reader = new Thread(() -> {
            while (!stop.get()) {
                try {
                    String s = Files.readString(state);
                    if (!s.matches("armed 1 [0-9]+\n")) {
                        bad.add(s);
                    }
                    reads.incrementAndGet();
                } catch (Exception e) {
                    bad.add(e.toString());
                }
            }
        });
        reader.start();
        for (int i = 0; i < 1000; i++) {
            w.feed();
            Thread.sleep(1);
        }
        stop.set(true);
        reader.join();
        assertEquals(java.util.List.of(), bad.stream().distinct().limit(3).toList(), reads.get() + " reads");
        assertTrue(reads.get() > 0);
        assertTrue(Integer.parseInt(Files.readString(state).trim().split(" ")[2]) > 100, "rewritten while read: " + Files.readString(state));
        try (var files = Files.list(dir)) {
            assertEquals(java.util.List.of(state), files.toList(), "nothing left beside the state file");
        }
    }

    @Test
    void theDeviceDriverFeedsWithAByteAndClosesWithV() throws Exception {
        Path fake = dir.resolve("watchdog0");
        Files.createFile(fake);
        HangWatchdog w = new HangWatchdog.Device(fake);
        w.arm();
        w.feed();
        w.feed();
        w.disarm();
        assertArrayEquals(new byte[] {0, 0, 'V'}, Files.readAllBytes(fake));
        assertFalse(w.armed());
    }

    @Test
    void noneDoesNothing() throws Exception {
        HangWatchdog w = HangWatchdog.create(new CoordinationSettings.WatchdogSettings("none", null, Duration.ZERO));
        w.arm();
        w.feed();
        assertFalse(w.armed());
        w.close();
    }
}
