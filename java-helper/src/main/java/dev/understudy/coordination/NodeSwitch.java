package dev.understudy.coordination;

import dev.understudy.bundle.Keys;
import dev.understudy.cli.BadInputException;
import dev.understudy.common.Command;
import dev.understudy.config.CoordinationSettings;
import dev.understudy.node.Activation;
import dev.understudy.node.NodeAdapter;
import dev.understudy.node.NodeException;
import dev.understudy.node.NodeStatus;
import dev.understudy.node.NodeUnit;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The node's signing, switched on and off under the role: activation with the period's keys installed first, and a
 * stop that is confirmed — the node reports it no longer signs, or its unit has no process left after a kill — or
 * falls back to the fence command.
 */
final class NodeSwitch {
    private static final Logger LOG = LogManager.getLogger(NodeSwitch.class);
    private final NodeAdapter node;
    private final Keys keys;
    private final CoordinationSettings cs;
    /** The node's systemd unit, or null when none is configured. */
    private final NodeUnit unit;
    private final String tag;
    /**
     * Records the role as the lease keeper has it (not holding, whenever a node is killed) before any kill: a killed
     * node that systemd's {@code Restart=} brings back runs the guard, which lets an adapter that cannot start quiet
     * start only while this record says holder. The agent is not root; a kill may find D-Bus down and leave the
     * restart to systemd.
     */
    private final Runnable beforeKill;

    NodeSwitch(NodeAdapter node, Keys keys, CoordinationSettings cs, NodeUnit unit, String tag, Runnable beforeKill) {
        this.node = node;
        this.keys = keys;
        this.cs = cs;
        this.unit = unit;
        this.tag = tag;
        this.beforeKill = beforeKill;
    }

    /**
     * Installs the keys of the current and next period this host signs with (a verified bundle's, when the node has
     * none or older ones than the holder bid with since {@code heldBefore}). Returns the node's status (its periods).
     */
    NodeStatus install(long heldBefore) throws NodeException, IOException, BadInputException {
        NodeStatus st = node.status();
        keys.ensureInstalled(st.currentPeriod(), heldBefore);
        keys.ensureInstalled(st.nextPeriod(), heldBefore);
        return st;
    }

    /** Switches signing on under the role (after {@link #install}, or again after the node restarted under the holder). */
    void switchOn(Activation a) throws NodeException {
        node.activate(a);
    }

    /**
     * A handover waits (at most a second) until this node has signed the round in progress, so the round is not lost.
     * Null when it did or stopped signing; otherwise what went wrong.
     */
    String awaitOwnSignature(int takeoverRounds) {
        long end = System.nanoTime() + Duration.ofSeconds(1).toNanos();
        try {
            NodeStatus st = node.status();
            while (System.nanoTime() - end < 0 && node.signing()) {
                if (node.evidence(takeoverRounds).lastVoteRound() >= st.round()) {
                    return null;
                }
                Thread.sleep(20);
            }
            return null;
        } catch (NodeException e) {
            return e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    /** Switches a standby's node off (it was validating without the role). */
    void quiet() throws NodeException {
        node.deactivate();
    }

    /**
     * Deactivates the node and checks it stopped; when it does not answer, or still signs, kills its unit; falls back
     * to the fence command. A node known not to answer ({@code answering} false: it hung) is not asked to deactivate:
     * it is killed at once. True when it stopped.
     */
    boolean stop(boolean answering) {
        if (answering) {
            try {
                node.deactivate();
                if (!node.signing()) {
                    return true;
                }
                LOG.error("{}the node still reports signing after deactivation", tag);
            } catch (NodeException e) {
                LOG.error("{}deactivating the node failed: {}", tag, e.getMessage());
            }
        } else {
            LOG.warn("{}the node does not answer: killing it without asking it to deactivate", tag);
        }
        beforeKill.run();
        if (unit != null) {
            String why = unit.kill();
            if (why == null) {
                LOG.warn("{}killed every process of {} and stopped it: the node signs nothing more", tag, unit.name());
                return true;
            }
            LOG.error("{}killing {} did not stop it: {}", tag, unit.name(), why);
        }
        if (cs.fenceCommand().isEmpty()) {
            LOG.error("{}no fence_command configured{}; the watchdog stays armed and resets the host if one is configured",
                    tag, unit == null ? " and no node.unit" : "");
            return false;
        }
        return runFenceCommand(cs.fenceCommand(), fenceCommandTimeout(), tag);
    }

    /** The node's unit state ({@link NodeUnit.State#UNKNOWN} without a unit). */
    NodeUnit.State unitState() {
        return unit == null ? NodeUnit.State.UNKNOWN : unit.state();
    }

    /** Starts a standby's node that is not running, through its unit (and so its guard). */
    void start() throws NodeException {
        unit("start").start();
    }

    /** Kills a standby's node that hung and starts it again through its unit. */
    void restart() throws NodeException {
        NodeUnit u = unit("restart");
        beforeKill.run();
        String why = u.kill();
        if (why != null) {
            throw NodeException.unavailable(why, null);
        }
        u.start();
    }

    /** The node's unit, for an operation that needs one. */
    private NodeUnit unit(String operation) throws NodeException {
        if (unit == null) {
            throw NodeException.unavailable("no node.unit configured to " + operation + " the node with", null);
        }
        return unit;
    }

    /**
     * The last round the stopped node signed: its own report, or — for a node that does not report it — the round it
     * is at now (it signs nothing after being confirmed stopped). -1 when the node cannot tell (no release record then).
     */
    long lastSignedRound() {
        try {
            NodeStatus st = node.status();
            return st.lastSignedRound() >= 0 ? st.lastSignedRound() : st.round();
        } catch (NodeException e) {
            LOG.warn("{}the stopped node does not say its last signed round ({}); no release record", tag, e.getMessage());
            return -1;
        }
    }

    /**
     * How long a holder giving the role up renews its lease while its node deactivates: the adapter's deactivation
     * budget plus the unit's kill (the wait for its signalled processes, three systemctl calls) and the fence
     * command's timeouts, at least one lease TTL.
     */
    Duration releaseBudget() {
        Duration fence = cs.fenceCommand().isEmpty() ? Duration.ZERO : fenceCommandTimeout();
        Duration kill = unit == null ? Duration.ZERO : NodeUnit.KILL_BUDGET;
        Duration budget = node.deactivationBudget().plus(kill).plus(fence);
        return budget.compareTo(cs.leaseTtl()) > 0 ? budget : cs.leaseTtl();
    }

    private Duration fenceCommandTimeout() {
        return cs.requestTimeout().multipliedBy(3);
    }

    /**
     * Runs the fence command through the shared runner: its output goes to files (a talkative command cannot block on
     * a full pipe), and one that overruns {@code timeout} is killed with its children. True when it exited 0.
     */
    static boolean runFenceCommand(List<String> argv, Duration timeout, String tag) {
        try {
            Command.Result r = Command.run(argv, Map.of(), timeout);
            LOG.warn("{}fence command {} exited {}{}", tag, argv, r.exit(),
                    r.exit() == 0 || r.stderrTail().isEmpty() ? "" : ": " + r.stderrTail());
            return r.exit() == 0;
        } catch (Command.Failure e) {
            LOG.error("{}fence command failed: {}", tag, e.getMessage());
            return false;
        }
    }
}
