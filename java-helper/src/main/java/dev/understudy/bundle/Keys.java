package dev.understudy.bundle;

import dev.understudy.cli.BadInputException;
import dev.understudy.node.NodeException;
import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * Where the keys of a period come from when this host takes the role. {@code heldBefore} is the last epoch under which
 * this host held the role before (negative: not known): its node's keys are that new, and a bundle made under a later
 * epoch can carry keys the holder bid with since (a backup that took over during an open election re-bids, and the
 * chain elects the last bid).
 */
public interface Keys {
    /**
     * The key ids this host would sign with for each period: the node's, unless the node has none for it or the newest
     * verified bundle for it was made under an epoch after {@code heldBefore} and holds ids the node lacks; then the
     * bundle's. Empty when this host has no keys for the period. Asks the node for its keys once (with the command
     * adapter, every question is a program run).
     */
    Map<Long, List<String>> signingIds(List<Long> periods, long heldBefore) throws IOException, BadInputException, NodeException;

    /** Installs into the node the bundle {@link #signingIds} chose, if it chose one. */
    void ensureInstalled(long period, long heldBefore) throws IOException, BadInputException, NodeException;
}
