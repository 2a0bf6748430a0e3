package dev.understudy.node;

import java.nio.file.Path;

/**
 * The one interface between Understudy and a validator node; the rest of the helper never talks to a node
 * directly. One implementation per node kind (simnet, ton, everscale, multiversx, command).
 */
public interface NodeAdapter {
    /** The adapter's kind, as in the config ({@code node.adapter}). */
    String kind();

    /** Synced?, lag, round, current and next period ids. */
    NodeStatus status() throws NodeException;

    /** Whether this node signs now (its own view). */
    boolean signing() throws NodeException;

    /** The chain's view: has the validator key signed in the last {@code rounds} rounds? */
    Evidence evidence(int rounds) throws NodeException;

    /**
     * The chain's view for a host that may hold none of the validator's entries itself (the monitor): {@code ids} are
     * the {@link #chainIds()} the agents published, used when this host knows none of its own.
     */
    default Evidence evidence(int rounds, java.util.Set<String> ids) throws NodeException {
        return evidence(rounds);
    }

    /**
     * The ids by which the chain names this validator's keys, as far as this host knows them (TON: the ADNL addresses
     * of its unexpired entries). The agent publishes them in its status so that the monitor can judge the chain's
     * view without the keys; empty where the chain's view needs none (the adapter knows the validator by its name).
     */
    default java.util.List<String> chainIds() {
        return java.util.List.of();
    }

    /**
     * The directories this adapter writes and the systemd units it starts and stops (the agent's sandbox and polkit
     * rule are made from it); {@link Access#NONE} when it writes no file and drives no unit itself.
     */
    default Access access() {
        return Access.NONE;
    }

    /** The files that must reach the backup for the current and next period. */
    KeySet keyFiles() throws NodeException;

    /**
     * Puts the keys of a verified bundle in place without starting to sign. {@code dir} holds the files at
     * the paths {@link #keyFiles()} gave them.
     */
    void install(Path dir) throws NodeException;

    /**
     * Starts signing (the caller holds the role), from the next round on and never before the activation's
     * {@code notBeforeRound}, and with {@code electionDuty} also bids in elections so the validator stays in the next
     * set. An adapter whose node can check the activation's epoch (the fencing token) passes it on, and the node
     * refuses an epoch lower than the highest it has seen; docs/adapters.md says which can.
     */
    void activate(Activation activation) throws NodeException;

    /** Stops signing and bidding; must be safe to call at any time, also when not signing. */
    void deactivate() throws NodeException;

    /**
     * The longest {@link #deactivate()} and the {@link #signing()} check after it can take by this adapter's own
     * timeouts (each program run, console call or {@code systemctl} bounded); zero when unknown. A holder giving
     * the role up keeps its lease renewed that long at most (at least one lease TTL), so a node that is slow to
     * stop is neither handed to another signer nor reset by the watchdog while it stops.
     */
    default java.time.Duration deactivationBudget() {
        return java.time.Duration.ZERO;
    }

    /**
     * How often the agent's periodic checks may ask this node ({@link #status()}, {@link #signing()}): the holder's
     * health check and a standby keeping its node quiet run every poll when this is zero or shorter than the poll
     * interval, otherwise this often. Readiness, activation and stop confirmations always ask at once. An adapter
     * whose every question starts a program (the command adapter) spaces them, so checking does not load the host.
     */
    default java.time.Duration checkInterval() {
        return java.time.Duration.ZERO;
    }

    /**
     * Called by the guard before the node starts while this host does not hold the role: makes the node start
     * without signing and returns true, or returns false when this kind of node cannot start without signing
     * (its start must then be refused).
     */
    boolean prepareStandbyStart() throws NodeException;
}
