package dev.understudy.node;

/**
 * How the agent switches a node's signing on: with election duty or without, under the signing role's epoch (the
 * fencing token: a node that can check it refuses an epoch lower than the highest it has seen), and never before
 * {@code notBeforeRound} (the round after the last one the previous holder signed, by its release record or the
 * chain's record; a node also never signs the round in progress when it is switched on).
 *
 * @param epoch the signing role's epoch, 0 when none is known (a manual activation)
 * @param notBeforeRound the first round the node may sign, -1 when only the round-in-progress rule applies
 */
public record Activation(boolean electionDuty, long epoch, long notBeforeRound) {
    public Activation {
        if (epoch < 0) {
            throw new IllegalArgumentException("epoch must not be negative, got " + epoch);
        }
    }

    /** Without an epoch or a round floor (tests, and adapters' own checks). */
    public static Activation unfenced(boolean electionDuty) {
        return new Activation(electionDuty, 0, -1);
    }
}
