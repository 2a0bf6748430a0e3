package dev.understudy.node;

import dev.understudy.cli.BadInputException;
import dev.understudy.common.Command;
import dev.understudy.config.Section;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The node's systemd unit ({@code node.unit}), driven through {@code systemctl}: the agent kills it when the node does
 * not answer a deactivation (a hung node stops signing only when its processes are gone), and starts it again when
 * it is not running while this host stands by (its guard, an {@code ExecStartPre=}, starts it without signing).
 */
public final class NodeUnit {
    /** A systemd service name: letters, digits and {@code :-_.\@}, not starting with {@code -}, ending in {@code .service}. */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9:_.@\\\\][A-Za-z0-9:_.@\\\\-]*\\.service");
    /** Each systemctl call's deadline; systemctl itself waits for a stop of a killed unit only for its empty cgroup. */
    public static final Duration CALL_TIMEOUT = Duration.ofSeconds(5);

    /** What {@code systemctl is-active} says of the unit, in the terms the agent acts on. */
    public enum State {
        /** active, reloading, refreshing: processes run. */
        RUNNING,
        /** activating, deactivating: wait for it. */
        CHANGING,
        /** inactive: no process, nothing scheduled. */
        STOPPED,
        /** failed (crashed, or the start limit was hit): no process. */
        FAILED,
        /** systemctl could not say. */
        UNKNOWN;

        /** No process of the unit runs. */
        public boolean down() {
            return this == STOPPED || this == FAILED;
        }
    }

    private final String name;
    private final List<String> systemctl;

    public NodeUnit(String name, List<String> systemctl) {
        this.name = Objects.requireNonNull(name, "unit name required");
        this.systemctl = List.copyOf(systemctl);
    }

    /** The unit named in {@code node.unit}, or null when none is configured. */
    public static NodeUnit fromConfig(Section node) throws BadInputException {
        String unit = node.string("unit", "");
        if (unit.isEmpty()) {
            return null;
        }
        if (!NAME.matcher(unit).matches()) {
            throw node.error("unit", "expected the node's systemd service, e.g. validator.service, got '" + unit + "'");
        }
        return new NodeUnit(unit, List.of("systemctl"));
    }

    public String name() {
        return name;
    }

    /** The unit's state; {@link State#UNKNOWN} when systemctl fails. */
    public State state() {
        try {
            String s = systemctl("is-active", name).stdout().trim();
            return switch (s) {
                case "active", "reloading", "refreshing" -> State.RUNNING;
                case "activating", "deactivating" -> State.CHANGING;
                case "inactive" -> State.STOPPED;
                case "failed" -> State.FAILED;
                default -> State.UNKNOWN;
            };
        } catch (Command.Failure e) {
            return State.UNKNOWN;
        }
    }

    /**
     * SIGKILL to every process in the unit's cgroup (a frozen or hung process dies too: nothing it does runs first),
     * then a stop so that {@code Restart=} does not bring it back before the agent decides. Null when the unit has no
     * process left afterwards; otherwise what went wrong.
     */
    public String kill() {
        List<String> problems = new ArrayList<>();
        try {
            Command.Result r = systemctl("kill", "--signal=SIGKILL", name);
            if (r.exit() != 0) {
                problems.add("systemctl kill exited " + r.exit() + tail(r));
            }
            r = systemctl("stop", name);
            if (r.exit() != 0) {
                problems.add("systemctl stop exited " + r.exit() + tail(r));
            }
        } catch (Command.Failure e) {
            problems.add(e.getMessage());
        }
        State s = state();
        return s.down() ? null : name + " is " + s.name().toLowerCase() + " after the kill"
                + (problems.isEmpty() ? "" : " (" + String.join("; ", problems) + ")");
    }

    /**
     * Starts the unit without waiting for it (its guard runs first); a failed unit's failure is reset first, so a
     * start limit hit by a crashing node does not refuse it. Throws with systemctl's reason when it refuses.
     */
    public void start() throws NodeException {
        try {
            if (state() == State.FAILED) {
                systemctl("reset-failed", name);
            }
            Command.Result r = systemctl("start", "--no-block", name);
            if (r.exit() != 0) {
                throw NodeException.unavailable("systemctl start " + name + " exited " + r.exit() + tail(r), null);
            }
        } catch (Command.Failure e) {
            throw NodeException.unavailable("systemctl start " + name + ": " + e.getMessage(), e);
        }
    }

    private Command.Result systemctl(String... args) throws Command.Failure {
        List<String> argv = new ArrayList<>(systemctl);
        argv.addAll(List.of(args));
        return Command.run(argv, Map.of(), CALL_TIMEOUT);
    }

    private static String tail(Command.Result r) {
        return r.stderrTail().isBlank() ? "" : ": " + r.stderrTail().trim();
    }
}
