package dev.understudy.coordination;

/**
 * This host's role as the {@link LeaseKeeper} holds it, read once at the start of a tick. The keeper may fence on its
 * own thread at any moment after; actions check the generation before they touch the node.
 *
 * @param generation changes whenever the role changes (taken, given up, fenced)
 * @param cooldownUntilNanos after giving the role up, this host does not take it again before then
 */
public record Role(boolean holding, long epoch, long lease, long generation, long cooldownUntilNanos) {
    /** No cooldown (never gave the role up): nanoTime's origin is arbitrary, so this is a marker, not a time. */
    public static final long NO_COOLDOWN = Long.MIN_VALUE;

    public static Role standby() {
        return new Role(false, 0, 0, 0, NO_COOLDOWN);
    }

    public boolean coolingDown(long nowNanos) {
        return !holding && cooldownUntilNanos != NO_COOLDOWN && nowNanos - cooldownUntilNanos < 0;
    }
}
