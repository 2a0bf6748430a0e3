package dev.understudy.cli;

/** Exit codes (sysexits). Every command returns one; only {@link Main#main} exits. */
public final class Exit {
    public static final int OK = 0;
    /** A check ran and failed: not holder, target not ready, keys missing. */
    public static final int CHECK_FAILED = 1;
    public static final int USAGE = 64;
    /** Bad input data: malformed config, corrupt or wrongly signed bundle. */
    public static final int DATA = 65;
    /** A service the command needs (etcd, node, SSH peer) could not be reached. */
    public static final int UNAVAILABLE = 69;
    public static final int SOFTWARE = 70;
    /** A file could not be written (full disk, permissions). */
    public static final int IO = 74;
    /** Another run holds the lock (cron overlap). */
    public static final int TEMPFAIL = 75;

    private Exit() {
    }
}
