package dev.understudy.coordination;

import dev.understudy.bundle.Keys;
import dev.understudy.cli.BadInputException;
import dev.understudy.common.Command;
import dev.understudy.config.CoordinationSettings;
import dev.understudy.node.Activation;
import dev.understudy.node.NodeAdapter;
import dev.understudy.node.NodeException;
import dev.understudy.node.NodeStatus;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The node's signing, switched on and off under the role: activation with the period's keys installed first, and a
 * stop that is confirmed (the node reports it no longer signs) or falls back to the fence command.
 */
final class NodeSwitch {
    private static final Logger LOG = LogManager.getLogger(NodeSwitch.class);
    private final NodeAdapter node;
    private final Keys keys;
    private final CoordinationSettings cs;
    private final String tag;

    NodeSwitch(NodeAdapter node, Keys keys, CoordinationSettings cs, String tag) {
        this.node = node;
        this.keys = keys;
        this.cs = cs;
        this.tag = tag;
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

    /** Deactivates the node and checks it stopped; falls back to the fence command. True when it stopped. */
    boolean stop() {
        try {
            node.deactivate();
            if (!node.signing()) {
                return true;
            }
            LOG.error("{}the node still reports signing after deactivation", tag);
        } catch (NodeException e) {
            LOG.error("{}deactivating the node failed: {}", tag, e.getMessage());
        }
        if (cs.fenceCommand().isEmpty()) {
            LOG.error("{}no fence_command configured; the watchdog stays armed and resets the host if one is configured", tag);
            return false;
        }
        return runFenceCommand(cs.fenceCommand(), fenceCommandTimeout(), tag);
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
     * budget plus the fence command's timeout, at least one lease TTL.
     */
    Duration releaseBudget() {
        Duration fence = cs.fenceCommand().isEmpty() ? Duration.ZERO : fenceCommandTimeout();
        Duration budget = node.deactivationBudget().plus(fence);
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
