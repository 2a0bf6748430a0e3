package dev.understudy.node.ton;

import dev.understudy.node.Evidence;
import dev.understudy.node.NodeException;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The chain's view of a TON validator key from the masterchain's block creator statistics, which every lite server
 * answers (docs/adapters.md, "The chain's view"). A validator that takes part in its groups' consensus also creates
 * blocks in its turn; the statistics record, per validator public key, when it last created one and how many it
 * created recently. So the key counts as silent only after it created nothing for {@code silenceIntervals} times the
 * interval at which it (or, when it has no history yet, an average member of the set) creates blocks, and never
 * sooner than the agent's window of {@code rounds} masterchain blocks. Rounds are masterchain seqnos; the round of the
 * last vote is estimated from the time of the last created block. Double signs are not in the statistics (0).
 */
final class TonChainEvidence {
    /** How far back the statistics are asked for: a key that created nothing in this long is not listed. */
    static final long LOOKBACK_S = 4 * 2048;

    /**
     * The newest masterchain block the lite server knows, which the lite client prints before every answer:
     * {@code latest masterchain block known to server is (-1,8000000000000000,SEQNO):ROOT:FILE created at UTIME}
     * (lite-client/lite-client.cpp, {@code TestNode::got_server_mc_block_id}).
     */
    record Head(String blockId, long seqno, long createdAt) {
        private static final Pattern LATEST = Pattern.compile(
                "latest masterchain block known to server is (\\(-1,[0-9A-Fa-f]{16},(\\d{1,10})\\):[0-9A-Fa-f]{64}:[0-9A-Fa-f]{64})"
                        + " created at (\\d{1,10})");

        static Head parse(String output, String src) throws NodeException {
            Matcher m = LATEST.matcher(output);
            if (!m.find()) {
                throw NodeException.badOutput(src + ": no 'latest masterchain block known to server is (-1,…,SEQNO):…:… created at "
                        + "UTIME' line in the lite client's answer");
            }
            return new Head(m.group(1), Long.parseLong(m.group(2)), Long.parseLong(m.group(3)));
        }
    }

    private TonChainEvidence() {
    }

    /**
     * Judges the key from one look.
     *
     * @param ours the ADNL addresses (upper-case hex) of this validator's unexpired entries on this host, or, on a host with none
     *     (the monitor), those the agents published
     * @param bidForNext an entry of ours starts after the current set's (mytoncore bid and was given a key)
     */
    static Evidence judge(Head head, TonValidatorSet current, TonValidatorSet next, TonCreatorStats stats, Set<String> ours,
            boolean bidForNext, int rounds, long blockMs, double silenceIntervals) throws NodeException {
        if (ours.isEmpty()) {
            throw NodeException.badOutput("no unexpired validator entry on this host (config.json and the replay plan have none)"
                    + " and no ADNL address published by an agent: cannot tell which key of the validator set is this validator's");
        }
        boolean inNext = bidForNext || next.exists() && ours.stream().anyMatch(next::contains);
        Set<String> keys = current.pubkeysOf(ours);
        if (keys.isEmpty()) {
            // not in the current set: the key has no group to sign in
            return new Evidence(false, -1, -1, head.seqno(), rounds, false, inNext, 0, 0, 0, blockMs);
        }
        // the set's rate now: a member that stopped creating blocks does not make the others look faster
        double setRecent = stats.recentTotalAt(head.createdAt());
        if (setRecent <= 0) {
            throw NodeException.badOutput("the creator statistics list no block created in the last " + LOOKBACK_S
                    + " s: cannot tell how often a validator creates one");
        }
        long lastCreated = -1;
        double ownRecent = 0;
        for (String k : keys) {
            TonCreatorStats.Creator c = stats.byPubkey().get(k);
            if (c != null) {
                lastCreated = Math.max(lastCreated, c.lastCreated());
                ownRecent += c.recent();
            }
        }
        // seconds between two blocks created by one member of the set, and by this key (the slower one counts)
        double interval = 2048.0 * Math.max(1, current.total()) / setRecent;
        if (ownRecent > 0) {
            interval = Math.max(interval, 2048.0 / ownRecent);
        }
        double thresholdS = Math.max(rounds * blockMs / 1000.0, silenceIntervals * interval);
        // a key that created nothing yet in this set has been quiet since the set began
        long quietSince = lastCreated >= 0 ? lastCreated : current.since();
        long quietS = Math.max(0, head.createdAt() - quietSince);
        boolean signedRecently = quietS < thresholdS;
        long lastVote = Math.max(0, head.seqno() - quietS * 1000 / blockMs);
        return new Evidence(signedRecently, lastVote, lastVote, head.seqno(), rounds, true, inNext, signedRecently ? 1 : 0, 0, 0,
                blockMs);
    }
}
