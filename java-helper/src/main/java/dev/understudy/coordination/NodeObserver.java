package dev.understudy.coordination;

import dev.understudy.bundle.Keys;
import dev.understudy.cli.BadInputException;
import dev.understudy.node.Evidence;
import dev.understudy.node.NodeAdapter;
import dev.understudy.node.NodeException;
import dev.understudy.node.NodeStatus;
import dev.understudy.node.NodeUnit;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Asks the node what a tick's decisions need ({@link NodeView}), each question at most once per tick, and keeps the
 * latest status and signing answers — with when and under which role generation they were given — so the status
 * publisher reuses them instead of asking again while they are younger than the check spacing and the role has not
 * changed (with the command adapter, every question is a program run).
 */
final class NodeObserver {
    /** A node's answer with when (monotonic) and under which role generation it was given. */
    record Answer<T>(T value, long atNanos, long generation) {
    }

    private final NodeAdapter node;
    private final Keys keys;
    private final int takeoverRounds;
    private final LongSupplier heldBefore;
    private final Supplier<NodeUnit.State> unitState;
    private volatile Answer<NodeStatus> status;
    private volatile Answer<Boolean> signing;

    NodeObserver(NodeAdapter node, Keys keys, int takeoverRounds, LongSupplier heldBefore, Supplier<NodeUnit.State> unitState) {
        this.node = node;
        this.keys = keys;
        this.takeoverRounds = takeoverRounds;
        this.heldBefore = heldBefore;
        this.unitState = unitState;
    }

    /** The view of one tick under role generation {@code generation}. */
    NodeView tick(long generation) {
        return new Tick(generation);
    }

    /** The agent acted on the node: what was seen before no longer holds. */
    void forget() {
        status = null;
        signing = null;
    }

    /** The latest status answer if given under {@code generation} within {@code windowNanos}; otherwise null. */
    NodeStatus recentStatus(long generation, long windowNanos) {
        return recent(status, generation, windowNanos);
    }

    /** The latest signing answer if given under {@code generation} within {@code windowNanos}; otherwise null. */
    Boolean recentSigning(long generation, long windowNanos) {
        return recent(signing, generation, windowNanos);
    }

    private static <T> T recent(Answer<T> a, long generation, long windowNanos) {
        return a != null && a.generation() == generation && System.nanoTime() - a.atNanos() < windowNanos ? a.value() : null;
    }

    private final class Tick implements NodeView {
        private final long generation;
        private NodeStatus st;
        /** The status question's failure in this tick: a node that does not answer costs its timeout once per tick. */
        private NodeException stFailure;
        private Boolean sg;
        private Evidence ev;
        private Map<Long, List<String>> ids;
        private List<Long> idsFor;

        Tick(long generation) {
            this.generation = generation;
        }

        @Override
        public NodeStatus status() throws NodeException {
            if (stFailure != null) {
                throw stFailure;
            }
            if (st == null) {
                try {
                    st = node.status();
                } catch (NodeException e) {
                    stFailure = e;
                    throw e;
                }
                status = new Answer<>(st, System.nanoTime(), generation);
            }
            return st;
        }

        @Override
        public boolean signing() throws NodeException {
            if (sg == null) {
                sg = node.signing();
                signing = new Answer<>(sg, System.nanoTime(), generation);
            }
            return sg;
        }

        @Override
        public Evidence evidence() throws NodeException {
            if (ev == null) {
                ev = node.evidence(takeoverRounds);
            }
            return ev;
        }

        @Override
        public NodeUnit.State unitState() {
            return unitState.get();
        }

        @Override
        public Map<Long, List<String>> signingIds(List<Long> periods) throws NodeException, IOException, BadInputException {
            if (ids == null || !periods.equals(idsFor)) {
                ids = keys.signingIds(periods, heldBefore.getAsLong());
                idsFor = List.copyOf(periods);
            }
            return ids;
        }
    }
}
