package dev.understudy.node;

/**
 * A node's own view: whether it follows the chain, how far behind it is, where the chain is, and which
 * periods are current and next (-1 when unknown).
 */
public record NodeStatus(boolean synced, long lagRounds, long round, long currentPeriod, long nextPeriod,
        boolean validationEnabled, String detail) {
}
