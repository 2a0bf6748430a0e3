package dev.understudy.config;

import dev.understudy.cli.BadInputException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The signing role's lease and the agent's timing ({@code coordination:}). The holder stops signing at
 * {@code lease_ttl_ms - margin_ms - watchdog.timeout_ms} after the send time of its last acknowledged
 * keep-alive; docs/coordination.md gives the argument and the safe ranges, which parsing enforces.
 */
public record CoordinationSettings(List<URI> endpoints, Path caFile, Path certFile, Path keyFile, String user,
        Path passwordFile, Duration leaseTtl, Duration margin, Duration keepAliveInterval, Duration requestTimeout,
        int takeoverRounds, Duration pollInterval, int unhealthyChecks, Duration activationGrace, Duration standbyDelay,
        Duration cooldown, boolean electionDuty, List<String> fenceCommand, WatchdogSettings watchdog,
        Duration pushInterval, long joinRoundMarginMs, boolean failsafe, SharedBackup sharedBackup) {

    /**
     * A backup host standing by for several validators ({@code coordination.shared_backup}, docs/coordination.md,
     * "Shared backup"): it signs for at most {@code capacity} of them at once, each role taken together with one of
     * the host's slot keys; an instance of rank {@code priority} (1 first) waits {@code (priority - 1) x priorityStep}
     * before taking. {@link #NONE}: a host that backs one validator, no slots.
     */
    public record SharedBackup(int capacity, int priority, Duration priorityStep) {
        public static final SharedBackup NONE = new SharedBackup(0, 1, Duration.ZERO);
        /**
         * The agents of a shared backup share its one watchdog device, fed only while every armed agent fed its lane
         * this recently: a hung agent's host is reset up to this much later than by a watchdog of its own, so the
         * fence window is this much shorter.
         */
        public static final long WATCHDOG_LANE_MS = 150;

        public boolean enabled() {
            return capacity > 0;
        }

        /** The wait of this rank before each run of attempts to take a role. */
        public Duration priorityWait() {
            return priorityStep.multipliedBy(priority - 1L);
        }

        /**
         * The etcd prefix of {@code host}'s slot keys. '@' is not allowed in a validator's name, so this never lies
         * under a validator's prefix.
         */
        public static String slotPrefix(String host) {
            return "/understudy/@hosts/" + host + "/slots/";
        }
    }

    /** The hang watchdog: none, the Linux watchdog device, or the lab's file emulation. */
    public record WatchdogSettings(String driver, Path path, Duration timeout) {
        public Duration effectiveTimeout() {
            return driver.equals("none") ? Duration.ZERO : timeout;
        }
    }

    /** The least a one-shot command's attempt on one etcd member is given (see {@link #commandAttemptTimeout()}). */
    public static final Duration COMMAND_ATTEMPT_MIN = Duration.ofSeconds(2);

    /**
     * A one-shot command's attempt on one member (status, switchover, failback, the guard): a fresh JVM's first
     * TLS handshake and login are slower than the agent's warm requests — over 400 ms on a loaded lab host, where
     * every attempt of `understudy status` then timed out for a minute — so {@code requestTimeout}, at least
     * {@link #COMMAND_ATTEMPT_MIN}. Only the time to an answer changes; nothing here decides who signs.
     */
    public Duration commandAttemptTimeout() {
        return requestTimeout.compareTo(COMMAND_ATTEMPT_MIN) < 0 ? COMMAND_ATTEMPT_MIN : requestTimeout;
    }

    /**
     * The deadline of a one-shot command's etcd call (status, switchover, the guard, the monitor's watchdog): each
     * endpoint gets its attempt, and one more, so a member that is down or slow costs time, not the answer. The
     * agent's own loop keeps {@code requestTimeout}.
     */
    public Duration commandTimeout() {
        return commandAttemptTimeout().multipliedBy(endpoints.size() + 1L);
    }

    /**
     * How long a standby's failsafe promise lasts from its receipt of the holder's request: the lease TTL, so a
     * granted request gives the holder what an acknowledged keep-alive does ({@link #fenceAfter()} from its send time).
     */
    public Duration promiseDuration() {
        return leaseTtl;
    }

    /**
     * How long after the send time of the last acknowledged keep-alive the holder stops signing: T - margin - W, and on
     * a shared backup with a watchdog {@link SharedBackup#WATCHDOG_LANE_MS} less.
     */
    public Duration fenceAfter() {
        return leaseTtl.minus(margin).minus(watchdog.effectiveTimeout()).minusMillis(laneMs(sharedBackup, watchdog.driver()));
    }

    private static long laneMs(SharedBackup sb, String driver) {
        return sb.enabled() && !driver.equals("none") ? SharedBackup.WATCHDOG_LANE_MS : 0;
    }

    public String prefix(String validator) {
        return "/understudy/" + validator + "/";
    }

    static CoordinationSettings parse(Section s) throws BadInputException {
        List<URI> endpoints = new ArrayList<>();
        List<String> eps = s.strings("endpoints");
        if (eps.isEmpty()) {
            throw s.error("endpoints", "is required: the etcd client URLs, e.g. [https://10.0.0.1:2379, ...]");
        }
        for (int i = 0; i < eps.size(); i++) {
            try {
                URI u = URI.create(eps.get(i));
                if (!"https".equals(u.getScheme()) || u.getHost() == null) {
                    throw new IllegalArgumentException("not an https URL");
                }
                endpoints.add(u);
            } catch (IllegalArgumentException e) {
                throw s.error("endpoints[" + i + "]", "expected https://HOST:PORT (etcd with TLS: the agent logs in with its"
                        + " password and holds the signing role through it), got '" + eps.get(i) + "'");
            }
        }
        long ttl = s.integer("lease_ttl_ms", 10_000, 2000, 600_000);
        if (ttl % 1000 != 0) {
            throw s.error("lease_ttl_ms", "etcd counts lease TTLs in whole seconds; expected a multiple of 1000, got " + ttl);
        }
        long margin = s.integer("margin_ms", 3000, 200, ttl / 2);
        Section w = s.optionalSection("watchdog");
        String driver = w.choice("driver", "none", "none", "device", "file");
        Path wpath = w.path("path", driver.equals("device") ? Path.of("/dev/watchdog") : null);
        long wtimeout = w.integer("timeout_ms", driver.equals("none") ? 0 : 2000, 0, 60_000);
        if (driver.equals("file") && wpath == null) {
            throw w.error("path", "is required for the file driver (the lab's emulated watchdog)");
        }
        if (driver.equals("device") && !wpath.toString().startsWith("/dev/watchdog")) {
            throw w.error("path", "the device driver opens /dev/watchdog or /dev/watchdogN, got " + wpath);
        }
        if (!driver.equals("none") && wtimeout < 500) {
            throw w.error("timeout_ms", "expected at least 500 for a watchdog, got " + wtimeout);
        }
        w.done();
        SharedBackup shared = sharedBackup(s);
        long lane = laneMs(shared, driver);
        long fenceAfter = ttl - margin - (driver.equals("none") ? 0 : wtimeout) - lane;
        if (fenceAfter < 1000) {
            throw s.error("lease_ttl_ms", "lease_ttl_ms - margin_ms - watchdog.timeout_ms" + (lane > 0 ? " - " + lane + " (shared watchdog)"
                    : "") + " = " + fenceAfter + " ms leaves the holder under a second to renew its lease; raise lease_ttl_ms");
        }
        long keepAlive = s.integer("keepalive_interval_ms", Math.max(100, fenceAfter / 10), 50, fenceAfter / 3);
        long requestTimeout = s.integer("request_timeout_ms", Math.min(1000, fenceAfter / 2), 50, fenceAfter);
        List<String> fence = s.strings("fence_command");
        CoordinationSettings c = new CoordinationSettings(endpoints,
                s.path("ca_file", Path.of("/etc/understudy/etcd/ca.crt")),
                s.path("cert_file", Path.of("/etc/understudy/etcd/client.crt")),
                s.path("key_file", Path.of("/etc/understudy/etcd/client.key")),
                s.string("user", "understudy"),
                s.path("password_file", Path.of("/etc/understudy/etcd/password")),
                Duration.ofMillis(ttl), Duration.ofMillis(margin), Duration.ofMillis(keepAlive), Duration.ofMillis(requestTimeout),
                (int) s.integer("takeover_rounds", 3, 1, 100),
                Duration.ofMillis(s.integer("poll_interval_ms", 250, 50, 10_000)),
                (int) s.integer("unhealthy_checks", 5, 1, 1000),
                Duration.ofMillis(s.integer("activation_grace_ms", 10_000, 0, 600_000)),
                Duration.ofMillis(s.integer("standby_delay_ms", 1000, 0, 60_000)),
                Duration.ofMillis(s.integer("cooldown_ms", 2 * ttl, 0, 3_600_000)),
                s.bool("election_duty", true),
                fence,
                new WatchdogSettings(driver, wpath, Duration.ofMillis(wtimeout)),
                Duration.ofMillis(s.integer("push_interval_ms", 5000, 500, 3_600_000)),
                s.integer("join_round_margin_ms", 1000, -1, 60_000),
                s.bool("failsafe", true),
                shared);
        s.done();
        return c;
    }

    private static SharedBackup sharedBackup(Section s) throws BadInputException {
        if (!s.has("shared_backup")) {
            return SharedBackup.NONE;
        }
        Section b = s.section("shared_backup");
        SharedBackup sb = new SharedBackup((int) b.integer("capacity", 0, 1, 1000), (int) b.integer("priority", 1, 1, 1000),
                Duration.ofMillis(b.integer("priority_step_ms", 1000, 0, 60_000)));
        if (sb.capacity() == 0) {
            throw b.error("capacity", "is required: how many validators this host may sign for at once (at least 1)");
        }
        b.done();
        return sb;
    }
}
