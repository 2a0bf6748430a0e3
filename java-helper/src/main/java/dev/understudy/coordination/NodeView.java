package dev.understudy.coordination;

import dev.understudy.cli.BadInputException;
import dev.understudy.node.Evidence;
import dev.understudy.node.NodeException;
import dev.understudy.node.NodeStatus;
import dev.understudy.node.NodeUnit;
import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * The local node's state as {@link Decide} sees it in one tick. Each question is asked at most once per tick, and only
 * when a decision needs its answer (with the command adapter every question is a program run): the answers are the
 * decision's input, fixed for the tick. Tests give fixed answers.
 */
public interface NodeView {
    /** The node's own view: synced, lag, round, periods, whether validation is on, its last signed round. */
    NodeStatus status() throws NodeException;

    /** Whether the node signs now (its own view). */
    boolean signing() throws NodeException;

    /** The chain's view of the validator key over the last takeover_rounds rounds. */
    Evidence evidence() throws NodeException;

    /** The state of the node's systemd unit ({@link NodeUnit.State#UNKNOWN} without {@code node.unit}). */
    NodeUnit.State unitState();

    /** The key ids this host would sign with in each of the periods (empty list: no keys for it). */
    Map<Long, List<String>> signingIds(List<Long> periods) throws NodeException, IOException, BadInputException;
}
