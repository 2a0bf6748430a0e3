package dev.understudy.coordination;

import dev.understudy.alert.Alert;
import dev.understudy.alert.AlertName;
import dev.understudy.alert.Alerting;
import dev.understudy.cli.BadInputException;
import dev.understudy.config.Config;
import dev.understudy.watchdog.WatchdogSettings;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;

/**
 * The alerts an agent raises itself: ELECTION_DUTY_OFF when a backup takes the role without election duty,
 * WATCHDOG_STALE when the holder sees the monitor's watchdog heartbeat in etcd go stale, and BACKUP_CAPACITY while a
 * shared backup's instance could take its validator's role but every slot of the host is held. They go out on their own
 * thread: a slow channel never delays the lease, the status or activation.
 */
final class AgentAlerts implements AutoCloseable {
    private static final long HEARTBEAT_CHECK_NANOS = Duration.ofSeconds(10).toNanos();
    private final Alerting.Source source;
    private final Config config;
    private final Consumer<String> error;
    private final long startedAtMs = System.currentTimeMillis();
    private final ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "agent-alerts");
        t.setDaemon(true);
        return t;
    });
    private volatile List<Alert> conditions = List.of();
    /** BACKUP_CAPACITY while a decided take finds every slot of the shared backup held; null when not. */
    private volatile Alert capacity;
    private long nextHeartbeatCheckNanos = System.nanoTime();

    /** With no source ({@code null}) nothing is sent. */
    AgentAlerts(Alerting.Source source, Config config, Consumer<String> error) {
        this.source = source;
        this.config = config;
        this.error = error;
    }

    /** Sends events with the conditions active now, so an event never resolves a condition. */
    void send(List<Alert> events) {
        if (source == null) {
            return;
        }
        try {
            thread.execute(() -> {
                List<Alert> active = new ArrayList<>(conditions);
                Alert c = capacity;
                if (c != null) {
                    active.add(c);
                }
                active.addAll(events);
                try {
                    source.get().process(active, Instant.now());
                } catch (IOException | BadInputException | RuntimeException e) {
                    error.accept("alerting: " + e.getMessage());
                }
            });
        } catch (RejectedExecutionException e) {
            // stopping
        }
    }

    /**
     * Every 10 s, from a snapshot read this tick: the holder raises WATCHDOG_STALE while the monitor's heartbeat is
     * older than {@code heartbeat_stale} (a watchdog that never checked in is judged from this agent's start, so a
     * fresh deployment is not stale); a standby resolves what it raised as holder.
     */
    void heartbeat(Snapshot s, boolean holding) {
        long now = System.nanoTime();
        if (now - nextHeartbeatCheckNanos < 0 || !config.hasWatchdog() || source == null) {
            return;
        }
        nextHeartbeatCheckNanos = now + HEARTBEAT_CHECK_NANOS;
        if (!holding) {
            if (!conditions.isEmpty()) {
                conditions = List.of();
                send(List.of());
            }
            return;
        }
        WatchdogSettings w;
        try {
            w = config.watchdog();
        } catch (BadInputException e) {
            error.accept("watchdog settings: " + e.getMessage());
            return;
        }
        long since = s.watchdogAtMs() < 0 ? startedAtMs : s.watchdogAtMs();
        long age = System.currentTimeMillis() - since;
        List<Alert> active = new ArrayList<>();
        if (age > w.heartbeatStale().toMillis()) {
            active.add(Alert.of(AlertName.WATCHDOG_STALE, config.validator(), "",
                    s.watchdogAtMs() < 0 ? "the monitor's watchdog has not checked in since this agent started " + age / 1000 + " s ago"
                            : "the monitor's watchdog last checked " + age / 1000 + " s ago (stale after " + w.heartbeatStale().toSeconds()
                                    + " s)").with("noticed by", config.host()));
        }
        conditions = List.copyOf(active);
        send(List.of());
    }

    /**
     * BACKUP_CAPACITY raised with {@code why} (this validator's role could be taken, but the shared backup's slots are
     * all held), or resolved ({@code null}); sent when it changes.
     */
    void capacity(String why) {
        Alert now = why == null ? null : Alert.of(AlertName.BACKUP_CAPACITY, config.validator(), config.host(), why);
        Alert before = capacity;
        if (now == null ? before == null : before != null && before.summary().equals(now.summary())) {
            return;
        }
        capacity = now;
        send(List.of());
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }
}
