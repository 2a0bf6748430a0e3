package dev.understudy.node;

/**
 * The chain's view of the validator key over the last {@code windowRounds} rounds: the last round any vote for
 * it reached the chain (late ones included), the last round it signed on time, the round the chain is at and
 * its round length, whether the validator is in the current set and in (or bidding for) the next one, how
 * many distinct signer instances voted in the window (two in a row is a handover, not a fault), how many double
 * signs were recorded in it, and how many in the validator's whole history (so a double sign recorded late, or
 * between two looks, is still noticed).
 * {@code signedRecently} is true when any vote arrived for one of the window's rounds: a standby never takes
 * over then.
 */
public record Evidence(boolean signedRecently, long lastVoteRound, long lastSignedRound, long chainRound, int windowRounds,
        boolean inCurrentSet, boolean inNextSet, int recentSigners, long recentDoubleSigns, long totalDoubleSigns,
        long roundMs) {
}
