package dev.understudy.simnet;

import java.time.Instant;

/** One line per event on stderr (journald adds the rest when run under systemd). */
public final class Log {
    private Log() {
    }

    public static void info(String component, String message) {
        System.err.println(Instant.now() + " " + component + ": " + message);
    }
}
