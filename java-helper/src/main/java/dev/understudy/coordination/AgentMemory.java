package dev.understudy.coordination;

/**
 * What the decision function remembers from one tick to the next. Immutable: {@link Decide} returns the next one.
 *
 * @param lastHolder the holder the leader key named when this host last saw one (null: never)
 * @param lastEpoch that leader key's epoch (0: never)
 * @param absentSinceNanos when this host first saw the leader key absent (monotonic; {@link #NEVER} while present)
 * @param absentSinceMs the same on the wall clock, for the takeover report
 * @param unhealthy the holder's consecutive failed health checks
 * @param activatedAtNanos when this host's node was last activated as holder (the health check's grace starts)
 * @param nextCheckNanos when the periodic node check (holder's health, standby's quiet node) is due next
 * @param nextPushNanos when the holder looks at its keys and pushes them next
 * @param nextWaitLogNanos when a waiting standby logs why it waits next
 */
public record AgentMemory(String lastHolder, long lastEpoch, long absentSinceNanos, long absentSinceMs, int unhealthy,
        long activatedAtNanos, long nextCheckNanos, long nextPushNanos, long nextWaitLogNanos) {
    /** A monotonic time that is never reached: nanoTime's origin is arbitrary, so "unset" cannot be 0 or -1. */
    public static final long NEVER = Long.MIN_VALUE;

    /** A new agent: every periodic check due at once. */
    public static AgentMemory start(long nowNanos) {
        return new AgentMemory(null, 0, NEVER, 0, 0, nowNanos, nowNanos, nowNanos, nowNanos);
    }

    AgentMemory sawLeader(String holder, long epoch) {
        return new AgentMemory(holder, epoch, NEVER, 0, unhealthy, activatedAtNanos, nextCheckNanos, nextPushNanos, nextWaitLogNanos);
    }

    AgentMemory absentSince(long nanos, long ms) {
        return new AgentMemory(lastHolder, lastEpoch, nanos, ms, unhealthy, activatedAtNanos, nextCheckNanos, nextPushNanos,
                nextWaitLogNanos);
    }

    AgentMemory unhealthy(int n) {
        return new AgentMemory(lastHolder, lastEpoch, absentSinceNanos, absentSinceMs, n, activatedAtNanos, nextCheckNanos,
                nextPushNanos, nextWaitLogNanos);
    }

    /** After this host's node was activated as holder: a fresh grace period and health count. */
    public AgentMemory activated(long nanos) {
        return new AgentMemory(lastHolder, lastEpoch, absentSinceNanos, absentSinceMs, 0, nanos, nextCheckNanos, nextPushNanos,
                nextWaitLogNanos);
    }

    AgentMemory checkDue(long nanos) {
        return new AgentMemory(lastHolder, lastEpoch, absentSinceNanos, absentSinceMs, unhealthy, activatedAtNanos, nanos,
                nextPushNanos, nextWaitLogNanos);
    }

    AgentMemory pushDue(long nanos) {
        return new AgentMemory(lastHolder, lastEpoch, absentSinceNanos, absentSinceMs, unhealthy, activatedAtNanos, nextCheckNanos,
                nanos, nextWaitLogNanos);
    }

    AgentMemory waitLogDue(long nanos) {
        return new AgentMemory(lastHolder, lastEpoch, absentSinceNanos, absentSinceMs, unhealthy, activatedAtNanos, nextCheckNanos,
                nextPushNanos, nanos);
    }

    boolean leaderAbsent() {
        return absentSinceNanos != NEVER;
    }
}
