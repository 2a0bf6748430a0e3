package dev.understudy.simnet;

/** Process exit codes (sysexits), returned by every command; only {@link Main} exits. */
public final class Exit {
    public static final int OK = 0;
    /** A check ran and failed (verdict: a double sign was recorded). */
    public static final int CHECK_FAILED = 1;
    public static final int USAGE = 64;
    public static final int DATA = 65;
    /** A service the command needs (chain, node) could not be reached. */
    public static final int UNAVAILABLE = 69;
    public static final int SOFTWARE = 70;

    private Exit() {
    }
}
