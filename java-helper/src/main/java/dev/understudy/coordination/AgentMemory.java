package dev.understudy.coordination;

/**
 * What the decision function remembers from one tick to the next. Immutable: {@link Decide} returns the next one.
 *
 * @param lastHolder the holder the leader key named when this host last saw one (null: never)
 * @param lastEpoch that leader key's epoch (0: never)
 * @param absentSinceNanos when this host first saw the leader key absent (monotonic; {@link #NEVER} while present)
 * @param absentSinceMs the same on the wall clock, taken after the read that showed it absent: every earlier holder had
 *     stopped by then (a round that began later may be joined) and the takeover report starts there
 * @param absentEpoch the newest epoch ever granted when the key was first seen absent: a newer one means the role was
 *     held again since, unseen by this host, and the absence counts from the next look
 * @param activatedAtNanos when this host's node was last activated as holder (the health check's grace starts)
 * @param nextCheckNanos when the periodic node check (holder's health, standby's quiet node) is due next
 * @param nextPushNanos when the holder looks at its keys and pushes them next
 * @param nextWaitLogNanos when a waiting standby logs why it waits next
 * @param node what the node checks found so far
 */
public record AgentMemory(String lastHolder, long lastEpoch, long absentSinceNanos, long absentSinceMs, long absentEpoch,
        long activatedAtNanos, long nextCheckNanos, long nextPushNanos, long nextWaitLogNanos, NodeHealth node) {
    /** A monotonic time that is never reached: nanoTime's origin is arbitrary, so "unset" cannot be 0 or -1. */
    public static final long NEVER = Long.MIN_VALUE;

    /**
     * The node checks' findings.
     *
     * @param unhealthy the holder's consecutive failed health checks
     * @param silentVote while the node does not answer: the chain's last vote of the key when it stopped answering
     *     ({@link #ANSWERS} while it answers, {@link #NO_VOTE} when the chain could not say)
     * @param silentSinceNanos when the node stopped answering ({@link #NEVER} while it answers)
     * @param nextUnitLookNanos when a standby whose node does not answer looks at the node's unit next (a start waits
     *     the start spacing)
     */
    public record NodeHealth(int unhealthy, long silentVote, long silentSinceNanos, long nextUnitLookNanos) {
        /** {@link #silentVote} of a node that answered its last check. */
        public static final long ANSWERS = Long.MIN_VALUE;
        /** {@link #silentVote} when the chain could not say the key's last vote. */
        public static final long NO_VOTE = Long.MIN_VALUE + 1;
        static final NodeHealth FINE = new NodeHealth(0, ANSWERS, NEVER, NEVER);

        boolean silent() {
            return silentVote != ANSWERS;
        }

        NodeHealth unhealthy(int n) {
            return new NodeHealth(n, silentVote, silentSinceNanos, nextUnitLookNanos);
        }

        /** The node answered: no longer silent (the unhealthy count is the health check's). */
        NodeHealth answered() {
            return new NodeHealth(unhealthy, ANSWERS, NEVER, nextUnitLookNanos);
        }

        /** The node did not answer at {@code nanos}; the chain's last vote then was {@code vote}. */
        NodeHealth silentAt(long nanos, long vote) {
            return silent() ? this : new NodeHealth(unhealthy, vote, nanos, nextUnitLookNanos);
        }

        /** After the role was given up: nothing counted, the unit's next look kept. */
        NodeHealth reset() {
            return new NodeHealth(0, ANSWERS, NEVER, nextUnitLookNanos);
        }

        /** The node was (re)started at {@code nanos}: its silence counts from now; no other start for {@code spacing}. */
        NodeHealth started(long nanos, long spacing) {
            return new NodeHealth(unhealthy, silentVote, silent() ? nanos : NEVER, nanos + spacing);
        }

        /** The unit was looked at and left alone: look again at {@code nanos}. */
        NodeHealth lookAt(long nanos) {
            return new NodeHealth(unhealthy, silentVote, silentSinceNanos, nanos);
        }
    }

    /** A new agent: every periodic check due at once. */
    public static AgentMemory start(long nowNanos) {
        return new AgentMemory(null, 0, NEVER, 0, 0, nowNanos, nowNanos, nowNanos, nowNanos, NodeHealth.FINE);
    }

    public int unhealthy() {
        return node.unhealthy();
    }

    AgentMemory sawLeader(String holder, long epoch) {
        return new AgentMemory(holder, epoch, NEVER, 0, 0, activatedAtNanos, nextCheckNanos, nextPushNanos, nextWaitLogNanos, node);
    }

    AgentMemory absentSince(long nanos, long ms, long epoch) {
        return new AgentMemory(lastHolder, lastEpoch, nanos, ms, epoch, activatedAtNanos, nextCheckNanos, nextPushNanos, nextWaitLogNanos,
                node);
    }

    AgentMemory unhealthy(int n) {
        return node(node.unhealthy(n));
    }

    AgentMemory node(NodeHealth h) {
        return new AgentMemory(lastHolder, lastEpoch, absentSinceNanos, absentSinceMs, absentEpoch, activatedAtNanos, nextCheckNanos,
                nextPushNanos, nextWaitLogNanos, h);
    }

    /** After this host's node was activated as holder: a fresh grace period and health record. */
    public AgentMemory activated(long nanos) {
        return new AgentMemory(lastHolder, lastEpoch, absentSinceNanos, absentSinceMs, absentEpoch, nanos, nextCheckNanos, nextPushNanos,
                nextWaitLogNanos, node.reset());
    }

    AgentMemory checkDue(long nanos) {
        return new AgentMemory(lastHolder, lastEpoch, absentSinceNanos, absentSinceMs, absentEpoch, activatedAtNanos, nanos, nextPushNanos,
                nextWaitLogNanos, node);
    }

    AgentMemory pushDue(long nanos) {
        return new AgentMemory(lastHolder, lastEpoch, absentSinceNanos, absentSinceMs, absentEpoch, activatedAtNanos, nextCheckNanos, nanos,
                nextWaitLogNanos, node);
    }

    AgentMemory waitLogDue(long nanos) {
        return new AgentMemory(lastHolder, lastEpoch, absentSinceNanos, absentSinceMs, absentEpoch, activatedAtNanos, nextCheckNanos,
                nextPushNanos, nanos, node);
    }

    boolean leaderAbsent() {
        return absentSinceNanos != NEVER;
    }
}
