package dev.understudy.node;

/**
 * The chain's view of the validator key: the last round any vote for it reached the chain (late ones
 * included), the last round it signed on time, the round the chain is at, and whether the validator is in the
 * current set at all. {@code signedRecently} is true when any vote arrived for one of the last
 * {@code windowRounds} rounds: a standby never takes over then.
 */
public record Evidence(boolean signedRecently, long lastVoteRound, long lastSignedRound, long chainRound, int windowRounds,
        boolean inCurrentSet) {
}
