package dev.understudy.node;

/**
 * How the agent switches a node's signing on: with election duty or without, under the signing role's epoch (the
 * fencing token: a node that can check it refuses an epoch lower than the highest it has seen), and never before
 * {@code notBeforeRound} (the round after the last one the previous holder signed, by its release record or the
 * chain's record). A node never signs the round in progress when it is switched on, unless that round began at or
 * after {@code joinAfterMs} — the agent passes the moment it first saw the role free plus the clock margin
 * ({@code coordination.join_round_margin_ms}), when every earlier holder had stopped — and the switch-on reaches the
 * node by {@code joinUntilMs}, this holder's fence deadline: an activation delayed past it (the agent frozen between
 * its check and the call) may come after the lease expired and another host took over, so it waits for the next
 * round, by which the lease keeper has fenced.
 *
 * @param epoch the signing role's epoch, 0 when none is known (a manual activation)
 * @param notBeforeRound the first round the node may sign, -1 when only the round-in-progress rule applies
 * @param joinAfterMs wall-clock ms from which a round in progress may be joined, -1 when never
 * @param joinUntilMs wall-clock ms after which the switch-on no longer joins the round in progress
 */
public record Activation(boolean electionDuty, long epoch, long notBeforeRound, long joinAfterMs, long joinUntilMs) {
    public Activation {
        if (epoch < 0) {
            throw new IllegalArgumentException("epoch must not be negative, got " + epoch);
        }
    }

    /** Without an epoch, a round floor or a join (tests, and adapters' own checks). */
    public static Activation unfenced(boolean electionDuty) {
        return new Activation(electionDuty, 0, -1, -1, -1);
    }

    /** The same activation without its join: what a node switched on again later is given (the join was for the takeover). */
    public Activation withoutJoin() {
        return new Activation(electionDuty, epoch, notBeforeRound, -1, -1);
    }

    /** The same activation, joining only if the switch-on reaches the node by {@code untilMs}. */
    public Activation joinUntil(long untilMs) {
        return new Activation(electionDuty, epoch, notBeforeRound, joinAfterMs, joinAfterMs < 0 ? -1 : untilMs);
    }
}
