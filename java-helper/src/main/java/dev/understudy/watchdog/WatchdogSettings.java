package dev.understudy.watchdog;

import dev.understudy.cli.BadInputException;
import dev.understudy.config.Section;
import java.nio.file.Path;
import java.time.Duration;

/** The {@code watchdog:} section: how the monitor observes, when it alerts and demotes, where metrics go. */
public record WatchdogSettings(Duration interval, Duration statusStale, Duration keysGrace, int sshPort, Duration sshTimeout,
        Path metricsFile, int demoteAfterRounds, Duration heartbeatStale, int evidenceRounds, Duration warningPending, Duration noSigner) {

    public static WatchdogSettings parse(Section s) throws BadInputException {
        WatchdogSettings w = new WatchdogSettings(
                Duration.ofSeconds(s.integer("interval_s", 60, 1, 3600)),
                Duration.ofSeconds(s.integer("status_stale_s", 10, 2, 3600)),
                Duration.ofSeconds(s.integer("keys_grace_s", 30, 0, 3600)),
                (int) s.integer("ssh_port", 22, 1, 65535),
                Duration.ofMillis(s.integer("ssh_timeout_ms", 3000, 100, 60_000)),
                s.path("metrics_file", Path.of("/var/lib/prometheus/node-exporter/understudy.prom")),
                (int) s.integer("demote_after_rounds", 20, 2, 100_000),
                Duration.ofSeconds(s.integer("heartbeat_stale_s", 180, 10, 86_400)),
                (int) s.integer("evidence_rounds", 3, 1, 1000),
                Duration.ofSeconds(s.integer("warning_pending_s", 30, 0, 3600)),
                Duration.ofSeconds(s.integer("no_signer_s", 60, 1, 86_400)));
        s.done();
        return w;
    }
}
