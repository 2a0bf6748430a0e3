package dev.understudy.coordination;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * One hang watchdog for the agents of several validators in one process — a backup shared by several validators has
 * one watchdog device, which only one process may hold open. Each agent gets a {@link #lane()}, used as its own
 * watchdog: the device is armed while any lane is armed, fed only while every armed lane was fed within
 * {@link #LANE_STALE_MS}, and closed with the magic close when the last lane disarms. So an agent that stops feeding
 * its lane (hung, or past its fence deadline with its node not confirmed stopped) stops the device's feeds for all,
 * and the host is reset the device's timeout plus at most {@link #LANE_STALE_MS} after that agent's last feed: what
 * its own watchdog would do, that much later (the fence window accounts for it:
 * {@link dev.understudy.config.CoordinationSettings#fenceAfter()}). The reset takes every role the host holds; their
 * standbys take them over as after any power loss of their holder.
 */
final class SharedHangWatchdog {
    /** How recently every armed lane must have been fed for a feed to reach the device (agents feed every 50 ms). */
    static final long LANE_STALE_MS = dev.understudy.config.CoordinationSettings.SharedBackup.WATCHDOG_LANE_MS;

    private final HangWatchdog device;
    private final LongSupplier nanos;
    private final List<Lane> lanes = new ArrayList<>();

    SharedHangWatchdog(HangWatchdog device, LongSupplier nanos) {
        this.device = device;
        this.nanos = nanos;
    }

    /** A new lane: one agent's watchdog. */
    synchronized HangWatchdog lane() {
        Lane l = new Lane();
        lanes.add(l);
        return l;
    }

    private boolean everyArmedLaneFresh(long now) {
        for (Lane l : lanes) {
            if (l.armed && now - l.fedNanos > LANE_STALE_MS * 1_000_000) {
                return false;
            }
        }
        return true;
    }

    private final class Lane implements HangWatchdog {
        private boolean armed;
        private long fedNanos;

        @Override
        public void arm() throws IOException {
            synchronized (SharedHangWatchdog.this) {
                if (!device.armed()) {
                    device.arm();
                }
                armed = true;
                fedNanos = nanos.getAsLong();
            }
        }

        @Override
        public void feed() throws IOException {
            synchronized (SharedHangWatchdog.this) {
                if (!armed) {
                    return;
                }
                long now = nanos.getAsLong();
                fedNanos = now;
                if (everyArmedLaneFresh(now)) {
                    device.feed();
                }
            }
        }

        @Override
        public void disarm() throws IOException {
            synchronized (SharedHangWatchdog.this) {
                armed = false;
                if (lanes.stream().noneMatch(l -> l.armed) && device.armed()) {
                    device.disarm();
                }
            }
        }

        @Override
        public boolean armed() {
            synchronized (SharedHangWatchdog.this) {
                return armed;
            }
        }
    }
}
