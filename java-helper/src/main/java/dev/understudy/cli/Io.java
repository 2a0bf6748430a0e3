package dev.understudy.cli;

import java.io.PrintStream;
import java.util.Map;
import java.util.Objects;

/** Where a command writes and what environment it sees; tests pass their own. */
public record Io(PrintStream out, PrintStream err, Map<String, String> env) {
    public Io {
        Objects.requireNonNull(out, "out required");
        Objects.requireNonNull(err, "err required");
        Objects.requireNonNull(env, "env required");
    }

    public static Io system() {
        return new Io(System.out, System.err, System.getenv());
    }
}
