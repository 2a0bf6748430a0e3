package dev.understudy.coordination;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The lanes of a shared backup's one watchdog device: a hung agent's lane stops the device's feeds for every agent. */
class SharedHangWatchdogTest {
    final AtomicLong clock = new AtomicLong(5_000_000_000L);
    final List<String> device = new ArrayList<>();
    /** A device that records what reaches it. */
    final HangWatchdog recording = new HangWatchdog() {
        boolean armed;

        @Override
        public void arm() {
            armed = true;
            device.add("arm");
        }

        @Override
        public void feed() {
            device.add("feed");
        }

        @Override
        public void disarm() {
            armed = false;
            device.add("disarm");
        }

        @Override
        public boolean armed() {
            return armed;
        }
    };
    final SharedHangWatchdog shared = new SharedHangWatchdog(recording, clock::get);

    void ms(long ms) {
        clock.addAndGet(ms * 1_000_000);
    }

    @Test
    void theDeviceIsFedOnlyWhileEveryArmedLaneIsFed() throws Exception {
        HangWatchdog val1 = shared.lane();
        HangWatchdog val2 = shared.lane();
        val2.feed();
        assertEquals(List.of(), device, "a lane that is not armed feeds nothing");
        val1.arm();
        val1.feed();
        assertEquals(List.of("arm", "feed"), device);
        val2.arm();
        ms(50);
        val1.feed();
        val2.feed();
        assertEquals(List.of("arm", "feed", "feed", "feed"), device, "the device is armed once");
        // val2's agent hangs: val1 keeps feeding, the device gets nothing once val2's last feed is over 150 ms old
        device.clear();
        for (int i = 0; i < 10; i++) {
            ms(50);
            val1.feed();
        }
        assertEquals(List.of("feed", "feed", "feed"), device, "fed while val2's last feed is at most 150 ms old (50, 100, 150), then no more");
        assertTrue(val1.armed() && val2.armed());
        // val2 feeds again (it was only slow): the device is fed again
        device.clear();
        val2.feed();
        val1.feed();
        assertEquals(List.of("feed", "feed"), device);
    }

    @Test
    void theDeviceIsClosedWithTheMagicCloseOnlyWhenTheLastLaneDisarms() throws Exception {
        HangWatchdog val1 = shared.lane();
        HangWatchdog val2 = shared.lane();
        val1.arm();
        val2.arm();
        val1.disarm();
        assertFalse(val1.armed());
        assertTrue(recording.armed(), "val2 still holds its role: the device stays armed");
        ms(1000);
        device.clear();
        val2.feed();
        assertEquals(List.of("feed"), device, "a disarmed lane is not waited for");
        val1.feed();
        assertEquals(List.of("feed"), device, "a disarmed lane feeds nothing");
        val2.disarm();
        assertEquals(List.of("feed", "disarm"), device);
        assertFalse(recording.armed());
        val1.arm();
        assertEquals("arm", device.get(device.size() - 1), "armed again by the next holder");
    }
}
