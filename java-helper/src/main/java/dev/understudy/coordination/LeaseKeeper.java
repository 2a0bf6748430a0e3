package dev.understudy.coordination;

import dev.understudy.config.CoordinationSettings;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The holder's lease, on threads of its own so that a slow tick (a node that takes seconds to answer) never delays a
 * renewal or the fence: it renews the lease (hedged: {@link HedgedCall}), records the send time of the last
 * acknowledged keep-alive, fences once {@code fence_after} has passed since then, and feeds the hang watchdog only
 * before that moment.
 *
 * <p>It owns the role's state ({@link Role}): taking the role ({@link #hold}), dropping it ({@link #drop}) and the
 * generation that changes with each. A holder giving the role up on purpose (a step-down, a stop) keeps renewing while
 * its node deactivates, within a release budget, and the watchdog is fed under the holder's own deadline meanwhile.
 *
 * <p>With the {@link Failsafe}, a holder whose renewals lag (none acknowledged for a third of the fence window) asks
 * every other agent directly for a promise not to take the role; the send time of the newest request all of them
 * granted counts as an acknowledged keep-alive does. So the fence deadline is {@code fence_after} after the later of
 * the two, and the holder signs on through the loss of etcd's quorum while every agent that could take the role
 * answers it (docs/coordination.md, "When etcd is lost").
 */
final class LeaseKeeper implements AutoCloseable {
    private static final Logger LOG = LogManager.getLogger(LeaseKeeper.class);
    /** How often the fence deadline is looked at and the watchdog fed. */
    static final long FENCE_TICK_MS = 50;
    /** The pause after a keep-alive that failed at once, before the next. */
    static final long KEEPALIVE_RETRY_MS = 50;
    /** Keep-alives waiting at once while none is acknowledged. */
    static final int KEEPALIVE_IN_FLIGHT = 4;

    /** What the role was when it was dropped: for the actor that stops the node and releases. */
    record Held(long epoch, long lease, long generation) {
    }

    /** The agents' direct promises (the failsafe); {@link #OFF} when not configured. */
    interface Failsafe {
        Failsafe OFF = new Failsafe() {
            @Override
            public void ask(long epoch, long generation, long spacingNanos) {
            }

            @Override
            public long grantedSince(long generation) {
                return PromiseSeeker.NONE;
            }

            @Override
            public List<String> peers() {
                return List.of();
            }
        };

        /** Asks every other agent for a promise, at most every {@code spacingNanos}. */
        void ask(long epoch, long generation, long spacingNanos);

        /** The send time of the newest request all granted under this role generation, or {@link PromiseSeeker#NONE}. */
        long grantedSince(long generation);

        List<String> peers();
    }

    /** Called on the keeper's thread after it dropped the role because the fence window passed. */
    interface Fencer {
        void fenced(Held held, String reason);
    }

    private final Etcd etcd;
    private final CoordinationSettings cs;
    private final HangWatchdog watchdog;
    private final String tag;
    private final HedgedCall keepAlives;
    private final ScheduledExecutorService timers = Executors.newScheduledThreadPool(2, r -> {
        Thread t = new Thread(r, "agent-lease");
        t.setDaemon(true);
        return t;
    });
    private Fencer fencer = (h, r) -> { };
    private final Failsafe failsafe;
    /** The fence deadline counts from the promises' send time (logged when that starts and ends). */
    private volatile boolean onPromises;

    // Written under lock; read by the timer threads without it.
    private final Object lock = new Object();
    private volatile boolean holding;
    private volatile long lease;
    private volatile long epoch;
    private volatile long lastAckSendNanos;
    private volatile long generation;
    private volatile long cooldownUntilNanos = Role.NO_COOLDOWN;
    private volatile boolean releasing;
    private volatile long releaseUntilNanos;
    private volatile String lastError = "";
    private volatile long lastErrorAtMs;

    LeaseKeeper(Etcd etcd, CoordinationSettings cs, HangWatchdog watchdog, String tag) {
        this(etcd, cs, watchdog, Failsafe.OFF, tag);
    }

    LeaseKeeper(Etcd etcd, CoordinationSettings cs, HangWatchdog watchdog, Failsafe failsafe, String tag) {
        this.failsafe = failsafe;
        this.etcd = etcd;
        this.cs = cs;
        this.watchdog = watchdog;
        this.tag = tag;
        this.keepAlives = new HedgedCall("agent-keepalive", KEEPALIVE_IN_FLIGHT,
                Math.max(KEEPALIVE_RETRY_MS, cs.requestTimeout().toMillis() / KEEPALIVE_IN_FLIGHT), KEEPALIVE_RETRY_MS);
    }

    /** Starts the fence and keep-alive timers; {@code fencer} stops the node when the fence window passes. */
    void start(Fencer f) {
        this.fencer = f;
        timers.scheduleWithFixedDelay(this::fenceTick, FENCE_TICK_MS, FENCE_TICK_MS, TimeUnit.MILLISECONDS);
        timers.scheduleWithFixedDelay(this::keepAliveTick, 0, cs.keepAliveInterval().toMillis(), TimeUnit.MILLISECONDS);
    }

    Role role() {
        synchronized (lock) {
            return new Role(holding, holding ? epoch : 0, holding ? lease : 0, generation, cooldownUntilNanos);
        }
    }

    boolean holding() {
        return holding;
    }

    /** Gave the role up on purpose and its node is not yet confirmed stopped. */
    boolean givingUp() {
        return releasing;
    }

    /** Whether the role is still the one taken under generation {@code gen}. */
    boolean current(long gen) {
        return holding && generation == gen;
    }

    /** How long until this holder fences unless a keep-alive is acknowledged, in ms (0 when past or not holding). */
    long fenceInMillis() {
        long left = cs.fenceAfter().toNanos() - (System.nanoTime() - base());
        return holding && left > 0 ? left / 1_000_000 : 0;
    }

    /** Takes the role: the lease's last acknowledged keep-alive was sent at {@code sentNanos}. Returns the generation. */
    long hold(long newLease, long newEpoch, long sentNanos) {
        synchronized (lock) {
            holding = true;
            lease = newLease;
            epoch = newEpoch;
            lastAckSendNanos = sentNanos;
            return ++generation;
        }
    }

    /**
     * Drops the role now, from any thread. With a release budget above zero the lease is renewed on for that long while
     * the node deactivates ({@link #endRelease()} ends it). Null when this host did not hold the role.
     */
    Held drop(Duration releaseBudget) {
        synchronized (lock) {
            if (!holding) {
                return null;
            }
            if (!releaseBudget.isZero() && !releaseBudget.isNegative()) {
                releaseUntilNanos = System.nanoTime() + releaseBudget.toNanos();
                releasing = true;
            }
            holding = false;
            return new Held(epoch, lease, ++generation);
        }
    }

    /** The node confirmed stopped (or could not be): renewals of a dropped role end. */
    void endRelease() {
        releasing = false;
    }

    /** After giving the role up under generation {@code gen}: no retaking for the cooldown. */
    void cooldown(long gen, Duration d) {
        synchronized (lock) {
            if (generation == gen) {
                cooldownUntilNanos = System.nanoTime() + d.toNanos();
            }
        }
    }

    /** The last keep-alive problem, for the status (empty when none in the last 10 s). */
    String lastError() {
        return System.currentTimeMillis() - lastErrorAtMs < 10_000 ? lastError : "";
    }

    private void error(String message) {
        lastError = message;
        lastErrorAtMs = System.currentTimeMillis();
    }

    // ---------------------------------------------------------------- the fence window (own thread)

    /**
     * What the fence deadline counts from: the send time of the last acknowledged keep-alive, or of the newest failsafe
     * request every other agent granted under this role generation, whichever is later.
     */
    private long base() {
        long ack = lastAckSendNanos;
        long granted = failsafe.grantedSince(generation);
        return granted != PromiseSeeker.NONE && granted - ack > 0 ? granted : ack;
    }

    /** A holder's deadline counts from {@link #base()}; one giving the role up counts from etcd's keep-alives only. */
    private long deadlineBase() {
        return holding ? base() : lastAckSendNanos;
    }

    private void fenceTick() {
        long now = System.nanoTime();
        long etcdAge = now - lastAckSendNanos;
        if (!holding) {
            if (releasing && etcdAge < cs.fenceAfter().toNanos()) {
                // a step-down or a stop deactivates the node with its lease still alive and renewed (within the release
                // budget): fed on under the holder's own deadline, so a slow deactivation does not reset the host, while
                // one still running fence_after after the last renewal does, before the lease can expire
                feed();
            }
            return;
        }
        if (etcdAge > cs.fenceAfter().toNanos() / 3) {
            failsafe.ask(epoch, generation, cs.keepAliveInterval().toNanos());
        }
        long age = now - base();
        promises(etcdAge, age);
        if (age >= cs.fenceAfter().toNanos()) {
            fence("no keep-alive acknowledged" + (failsafe == Failsafe.OFF ? "" : " nor a promise granted by " + failsafe.peers())
                    + " for " + age / 1_000_000 + " ms (fences at " + cs.fenceAfter().toMillis() + " ms)");
            return;
        }
        feed();
    }

    /** Logs when the deadline starts and stops counting from promises rather than from etcd. */
    private void promises(long etcdAge, long age) {
        boolean now = age < etcdAge;
        if (now != onPromises) {
            onPromises = now;
            if (now) {
                LOG.warn("{}FAILSAFE: etcd has acknowledged no keep-alive for {} ms; signing on under the direct promises of {}"
                        + " (fences {} ms after the newest request all of them granted)", tag, etcdAge / 1_000_000, failsafe.peers(),
                        cs.fenceAfter().toMillis());
            } else {
                LOG.warn("{}failsafe: the fence deadline counts from etcd's keep-alives again ({} ms ago)", tag, etcdAge / 1_000_000);
            }
        }
    }

    /** Stops signing now, from any thread: drops the role and hands the node to the fencer. */
    void fence(String reason) {
        Held h = drop(Duration.ZERO);
        if (h != null) {
            LOG.error("{}SELF-FENCING (epoch {}): {}; deactivating the node", tag, h.epoch(), reason);
            fencer.fenced(h, reason);
        }
    }

    private void feed() {
        try {
            watchdog.feed();
        } catch (IOException e) {
            error("watchdog feed: " + e.getMessage());
        }
    }

    // ---------------------------------------------------------------- renewals (own threads)

    /**
     * One renewal per interval; while none of this tick's is acknowledged, more are sent as {@link HedgedCall}
     * describes (every request_timeout / {@link #KEEPALIVE_IN_FLIGHT}, so that the attempts waiting at once cover a
     * whole request timeout and one always starts soon after a new etcd leader is known), for as long as the fence
     * window is open.
     */
    private void keepAliveTick() {
        long tickStart = System.nanoTime();
        keepAlives.run(this::renew, () -> !renewing() || lastAckSendNanos - tickStart >= 0
                || System.nanoTime() - deadlineBase() >= cs.fenceAfter().toNanos());
    }

    /** A holder renews its lease; so does one giving the role up while its node deactivates, within its budget. */
    private boolean renewing() {
        return holding || releasing && System.nanoTime() - releaseUntilNanos < 0;
    }

    /** One keep-alive; an acknowledged one moves the fence deadline to its send time. */
    private void renew() {
        try {
            long l = lease;
            long sent = System.nanoTime();
            long left = cs.fenceAfter().toNanos() - (sent - deadlineBase());
            if (!renewing() || left <= 0) {
                return;
            }
            long ttl = etcd.keepAlive(l, Duration.ofNanos(Math.min(left, cs.requestTimeout().toNanos())));
            if (ttl <= 0) {
                if (lease == l && holding) {
                    fence("the lease " + Long.toHexString(l) + " no longer exists in etcd");
                }
                return;
            }
            long gap;
            synchronized (lock) {
                if (!renewing() || lease != l || sent - lastAckSendNanos <= 0) {
                    return;
                }
                gap = sent - lastAckSendNanos;
                lastAckSendNanos = sent;
            }
            if (gap > cs.fenceAfter().toNanos() / 2) {
                // an etcd election or a slow member came close to fencing this holder: worth an operator's look
                LOG.warn("{}lease renewed {} ms after the last acknowledged keep-alive (fences at {} ms)", tag, gap / 1_000_000,
                        cs.fenceAfter().toMillis());
            }
        } catch (EtcdException e) {
            error("keep-alive: " + e.getMessage());
        }
    }

    /** For tests: the process dies here (no more renewals, no fence, the watchdog left as it is). */
    void crash() {
        synchronized (lock) {
            holding = false;
            releasing = false;
        }
        close();
    }

    @Override
    public void close() {
        timers.shutdownNow();
        keepAlives.close();
    }
}
