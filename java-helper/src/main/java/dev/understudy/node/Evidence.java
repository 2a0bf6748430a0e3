package dev.understudy.node;

/**
 * The chain's view of the validator key over the last rounds: whether it signed in any of them, the last
 * round it signed, and the round the chain is at.
 */
public record Evidence(boolean signedRecently, long lastSignedRound, long chainRound, int windowRounds) {
}
