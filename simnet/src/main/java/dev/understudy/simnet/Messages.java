package dev.understudy.simnet;

/** The exact byte strings that votes and bids sign; chain and node must agree on them. */
public final class Messages {
    private Messages() {
    }

    public static String vote(String chainId, long round, long period, String signerInstance) {
        return "simnet-vote\n" + chainId + "\n" + round + "\n" + period + "\n" + signerInstance;
    }

    public static String bid(String chainId, String validator, long period, String keyHex) {
        return "simnet-bid\n" + chainId + "\n" + validator + "\n" + period + "\n" + keyHex;
    }
}
