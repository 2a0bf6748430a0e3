package dev.understudy.testing;

import java.util.function.BooleanSupplier;

/** Bounded waiting for a condition in tests that run real processes. */
public final class Wait {
    private Wait() {
    }

    public static void until(String what, long ms, BooleanSupplier c) throws InterruptedException {
        long end = System.currentTimeMillis() + ms;
        while (System.currentTimeMillis() < end) {
            if (c.getAsBoolean()) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("timed out after " + ms + " ms waiting for " + what);
    }
}
