package dev.understudy.simnet;

/** The exact byte strings that votes and bids sign; chain and node must agree on them. */
public final class Messages {
    private Messages() {
    }

    /** A vote; one cast under a signing role's epoch (above 0) signs the epoch too, so it cannot be altered on the way. */
    public static String vote(String chainId, long round, long period, String signerInstance, long epoch) {
        String m = "simnet-vote\n" + chainId + "\n" + round + "\n" + period + "\n" + signerInstance;
        return epoch > 0 ? m + "\n" + epoch : m;
    }

    public static String bid(String chainId, String validator, long period, String keyHex) {
        return "simnet-bid\n" + chainId + "\n" + validator + "\n" + period + "\n" + keyHex;
    }
}
