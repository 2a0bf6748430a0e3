package dev.understudy.node;

/**
 * A node's own view: whether it follows the chain, how far behind it is, where the chain is, which periods are
 * current and next (-1 when unknown), and the last round it signed ({@code lastSignedRound}, -1 when it never signed
 * or the node does not say: a holder giving the role up then records the round it stopped at).
 */
public record NodeStatus(boolean synced, long lagRounds, long round, long currentPeriod, long nextPeriod,
        boolean validationEnabled, String detail, long lastSignedRound) {

    /** A node that does not report its last signed round. */
    public NodeStatus(boolean synced, long lagRounds, long round, long currentPeriod, long nextPeriod, boolean validationEnabled,
            String detail) {
        this(synced, lagRounds, round, currentPeriod, nextPeriod, validationEnabled, detail, -1);
    }
}
