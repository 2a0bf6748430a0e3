package dev.understudy.node;

import dev.understudy.common.Command;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The node's systemd units, through {@code systemctl} (a configurable path), each call bounded by a timeout. */
public record Systemd(String systemctl, Duration timeout) {
    /** Whether the unit runs: {@code is-active} 0 yes, 3 or 4 (inactive, unknown) no; anything else is an error. */
    public boolean isActive(String unit) throws NodeException {
        Command.Result r = run("is-active", "--quiet", unit);
        return switch (r.exit()) {
            case 0 -> true;
            case 3, 4 -> false;
            default -> throw failed(r, "is-active", unit);
        };
    }

    /** {@code systemctl ARGS}, which must exit 0. */
    public void ok(String... args) throws NodeException {
        Command.Result r = run(args);
        if (r.exit() != 0) {
            throw failed(r, args);
        }
    }

    public Command.Result run(String... args) throws NodeException {
        List<String> argv = new ArrayList<>(List.of(systemctl));
        argv.addAll(List.of(args));
        try {
            return Command.run(argv, Map.of(), timeout);
        } catch (Command.Failure e) {
            throw NodeException.unavailable(String.join(" ", argv) + ": " + e.getMessage(), e);
        }
    }

    private NodeException failed(Command.Result r, String... args) {
        return NodeException.unavailable(systemctl + " " + String.join(" ", args) + " exited " + r.exit() + ": " + r.stderrTail(), null);
    }
}
