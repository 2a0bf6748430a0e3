package dev.understudy.watchdog;

import dev.understudy.alert.Alert;
import dev.understudy.alert.Dispatcher;
import dev.understudy.cli.BadInputException;
import dev.understudy.common.AtomicFiles;
import dev.understudy.common.Json;
import dev.understudy.config.Config;
import dev.understudy.coordination.Etcd;
import dev.understudy.coordination.EtcdException;
import dev.understudy.node.NodeAdapter;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/** One check of the monitor's watchdog: observe, judge, alert, demote if needed, write metrics and a heartbeat. */
public final class WatchdogRunner {
    private static final Logger LOG = LogManager.getLogger(WatchdogRunner.class);
    private final Config config;
    private final WatchdogSettings settings;
    private final Observer observer;
    private final Dispatcher dispatcher;
    private final Etcd etcd;
    private final Path stateFile;

    /** What a check did. */
    public record Result(Observation observation, List<Alert> active, Dispatcher.Outcome outcome, String demoted) {
    }

    public WatchdogRunner(Config config, Etcd etcd, NodeAdapter chainView, Dispatcher dispatcher) throws BadInputException {
        this.config = config;
        this.settings = config.watchdog();
        this.etcd = etcd;
        this.observer = new Observer(config, etcd, chainView, settings);
        this.dispatcher = dispatcher;
        this.stateFile = config.stateDir().resolve("watchdog.json");
    }

    /** How long a demote request lives in etcd. */
    static final long DEMOTE_TTL_S = 60;

    public Result check() throws Exception {
        long t0 = System.nanoTime();
        AtomicFiles.createPrivateDirectories(config.stateDir());
        Observation o = observer.observe();
        WatchState s = WatchState.read(stateFile);
        Rules.Verdict v = Rules.evaluate(o, s, settings);
        String demoted = null;
        String prefix = config.coordination().prefix(config.validator());
        Duration rt = config.coordination().commandTimeout();
        if (v.demoteReason() != null) {
            try {
                // on a lease of its own: the request expires by itself (the monitor's etcd user may write only this key and
                // its heartbeat, so no holder deletes it; it names one epoch, and no later holder heeds it)
                long lease = etcd.grant(DEMOTE_TTL_S, rt);
                etcd.put(prefix + "demote", Json.MAPPER.writeValueAsString(Json.object().put("epoch", o.epoch())
                        .put("reason", v.demoteReason()).put("by", config.host()).put("at", Instant.now().toString())), lease, rt);
                demoted = v.demoteReason();
                LOG.warn("validator {}: asked the holder to step down: {}", config.validator(), demoted);
            } catch (EtcdException e) {
                LOG.error("validator {}: could not write the demote request: {}", config.validator(), e.getMessage());
            }
        }
        Rules.remember(o, s, demoted);
        s.write(stateFile);
        Dispatcher.Outcome out = dispatcher.process(v.alerts(), o.at());
        try {
            etcd.put(prefix + "watchdog", Json.MAPPER.writeValueAsString(Json.object().put("host", config.host())
                    .put("atMs", System.currentTimeMillis()).put("intervalS", settings.interval().toSeconds())), 0, rt);
        } catch (EtcdException e) {
            LOG.warn("validator {}: heartbeat not written: {}", config.validator(), e.getMessage());
        }
        Duration took = Duration.ofNanos(System.nanoTime() - t0);
        try {
            Metrics.of(o, dispatcher.firing(), took, settings).write(settings.metricsFile());
        } catch (IOException e) {
            LOG.error("validator {}: metrics not written to {}: {}", config.validator(), settings.metricsFile(), e.getMessage());
        }
        LOG.info("validator {}: check in {} ms: holder {} epoch {}, {} alert(s) active, {} sent{}", config.validator(), took.toMillis(),
                o.holder(), o.epoch(), v.alerts().size(), out.sent().size(), demoted == null ? "" : ", demote requested");
        return new Result(o, v.alerts(), out, demoted);
    }
}
