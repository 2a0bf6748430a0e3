package dev.understudy.coordination;

import dev.understudy.node.Evidence;

/** What {@link Decide} asks the agent to do; the agent's actors carry it out. */
public sealed interface Action {
    /** The holder stops signing now and becomes standby; the lease is not released (it may be gone already). */
    record Fence(String reason) implements Action {
    }

    /**
     * The holder gives the role up on purpose: its node deactivates and confirms it stopped, then one transaction
     * deletes the leader key and writes the release record (epoch, last signed round); then the lease is revoked.
     * With {@code hung} the node does not answer: it is killed through its unit without being asked first.
     */
    record StepDown(String reason, boolean hung) implements Action {
    }

    /** A switchover to {@code to}: at a round boundary (after this node signed the round in progress), step down. */
    record HandOver(String to) implements Action {
    }

    /** A switchover the target cannot take now: the request is deleted and the reason logged. */
    record RefuseSwitchover(String to, String why) implements Action {
    }

    /** The holder's node is not validating (restarted through the guard): switch it on again. */
    record Reactivate() implements Action {
    }

    /** A standby's node is validating: switch it off at once. */
    record QuietNode() implements Action {
    }

    /** A standby's node is not running (stopped, fenced, crashed): start it through its unit and so its guard. */
    record StartNode(String why) implements Action {
    }

    /** A standby's node runs but has not answered for {@link Decide#STANDBY_HUNG_NANOS}: kill it and start it again. */
    record RestartNode(String why) implements Action {
    }

    /** The leader key names this host and its lease may live (the agent restarted): keep the lease and resume. */
    record Adopt(Snapshot.Leader leader) implements Action {
    }

    /**
     * Take the role: grant a lease and create the leader key in one transaction — only if still absent, and, for a
     * takeover on a proven release, only if no leader key was created since ({@code expectEpochRev}, else -1) — then
     * install keys and activate the node with the epoch, never before {@code notBeforeRound}, joining the round in
     * progress only when it began at or after {@code joinAfterMs} (wall clock; -1: never).
     *
     * @param kind the takeover report's kind: failover (from another host), switchover (invited), bootstrap (no holder
     *     before), retake (this host held the newest epoch and takes the role again after it lapsed), onboard (the
     *     main's node already signed before any host held the role: taken without stopping it)
     * @param release whether the release record let this host skip the chain's evidence wait
     */
    record Acquire(String kind, boolean release, long expectEpochRev, long notBeforeRound, long joinAfterMs,
            String previousHolder, long previousEpoch, Evidence evidence) implements Action {
    }

    /** Look at the node's keys and push them to the backups (the holder, every push interval). */
    record Push() implements Action {
    }

    /** Something worth a log line (at most one per kind per tick; rate-limited ones are decided as such). */
    record Log(Level level, String message) implements Action {
        void to(org.apache.logging.log4j.Logger log, String tag) {
            switch (level) {
                case INFO -> log.info("{}{}", tag, message);
                case WARN -> log.warn("{}{}", tag, message);
                case ERROR -> log.error("{}{}", tag, message);
                default -> throw new IllegalStateException("level " + level);
            }
        }
    }

    /** A problem worth showing in this host's status ({@code lastError}), not worth a log line each tick. */
    record Note(String problem) implements Action {
    }

    /** Log levels of {@link Log}. */
    enum Level { INFO, WARN, ERROR }
}
