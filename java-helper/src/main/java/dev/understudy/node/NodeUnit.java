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
    /** How long {@link #kill()} waits for the processes it signalled to be gone. */
    static final Duration SIGNAL_WAIT = Duration.ofSeconds(1);
    /** How long queueing the stop of a unit whose processes are all gone may take. */
    static final Duration QUEUE_TIMEOUT = Duration.ofSeconds(1);
    /** The longest {@link #kill()} takes: the wait for the signalled processes and three systemctl calls. */
    public static final Duration KILL_BUDGET = SIGNAL_WAIT.plus(CALL_TIMEOUT.multipliedBy(3));

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
    private final Duration callTimeout;

    public NodeUnit(String name, List<String> systemctl) {
        this(name, systemctl, CALL_TIMEOUT);
    }

    NodeUnit(String name, List<String> systemctl, Duration callTimeout) {
        this.name = Objects.requireNonNull(name, "unit name required");
        this.systemctl = List.copyOf(systemctl);
        this.callTimeout = callTimeout;
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
     *
     * <p>The signals go straight from this process (CAP_KILL) to the processes {@code /proc} shows in the unit's
     * cgroup, before any systemctl call: an agent that is not root reaches systemd only over D-Bus through polkit,
     * and a hung or dead bus must neither keep a node signing nor hold the agent for systemctl's timeouts. When that
     * leaves no process, the stop is only queued, within {@link #QUEUE_TIMEOUT} (a node that systemd restarts
     * anyway starts through its guard, without signing). When it found none, or some survive, {@code systemctl kill}
     * and {@code stop} follow and the unit's state decides.
     */
    public String kill() {
        int signalled = signalProcesses();
        if (signalled > 0 && noProcessLeft()) {
            try {
                Command.run(argv("stop", "--no-block", name), Map.of(), QUEUE_TIMEOUT);
            } catch (Command.Failure e) {
                // systemd not answering: nothing of the unit runs, which is what the kill is for
            }
            return null;
        }
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
        if (s.down()) {
            return null;
        }
        if (!problems.isEmpty() && signalled >= 0 && noProcessLeft()) {
            // systemd did not answer, but no process of the unit is left to sign
            return null;
        }
        return name + " is " + s.name().toLowerCase() + " after the kill"
                + (problems.isEmpty() ? "" : " (" + String.join("; ", problems) + ")");
    }

    private boolean noProcessLeft() {
        try {
            return processes().isEmpty();
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** SIGKILL to each process in the unit's cgroup; how many, or -1 when {@code /proc} could not be read. */
    private int signalProcesses() {
        List<ProcessHandle> ps;
        try {
            ps = processes();
        } catch (RuntimeException e) {
            return -1;
        }
        for (ProcessHandle p : ps) {
            try {
                p.destroyForcibly();
            } catch (RuntimeException e) {
                // this process itself, or one that is gone
            }
        }
        long deadline = System.nanoTime() + SIGNAL_WAIT.toNanos();
        for (ProcessHandle p : ps) {
            while (p.isAlive() && System.nanoTime() < deadline) {
                try {
                    Thread.sleep(5);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return ps.size();
                }
            }
        }
        return ps.size();
    }

    /** The processes {@code /proc/PID/cgroup} places in this unit's cgroup or below it. */
    List<ProcessHandle> processes() {
        List<ProcessHandle> out = new ArrayList<>();
        java.io.File[] entries = new java.io.File("/proc").listFiles();
        if (entries == null) {
            throw new IllegalStateException("/proc cannot be listed");
        }
        for (java.io.File e : entries) {
            String pid = e.getName();
            if (pid.isEmpty() || !pid.chars().allMatch(Character::isDigit)) {
                continue;
            }
            try {
                String cg = java.nio.file.Files.readString(e.toPath().resolve("cgroup"));
                if (inUnit(cg, name)) {
                    ProcessHandle.of(Long.parseLong(pid)).ifPresent(out::add);
                }
            } catch (java.io.IOException | RuntimeException gone) {
                // exited while listed, or not ours to read
            }
        }
        return out;
    }

    /**
     * Whether a {@code /proc/PID/cgroup} text puts the process in {@code unit}: a line's path (after
     * {@code ID:CONTROLLERS:}, {@code 0::/system.slice/NAME} on cgroup v2) names the unit as one of its parts.
     */
    static boolean inUnit(String cgroupFile, String unit) {
        for (String line : cgroupFile.split("\n")) {
            int a = line.indexOf(':');
            int b = a < 0 ? -1 : line.indexOf(':', a + 1);
            if (b > 0) {
                for (String part : line.substring(b + 1).split("/")) {
                    if (part.equals(unit)) {
                        return true;
                    }
                }
            }
        }
        return false;
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
        return Command.run(argv(args), Map.of(), callTimeout);
    }

    private List<String> argv(String... args) {
        List<String> argv = new ArrayList<>(systemctl);
        argv.addAll(List.of(args));
        return argv;
    }

    private static String tail(Command.Result r) {
        return r.stderrTail().isBlank() ? "" : ": " + r.stderrTail().trim();
    }
}
