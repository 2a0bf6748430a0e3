package dev.understudy.watchdog;

import dev.understudy.alert.Alerting;
import dev.understudy.cli.BadInputException;
import dev.understudy.cli.BaseCommand;
import dev.understudy.cli.Exit;
import dev.understudy.cli.Io;
import dev.understudy.cli.Options;
import dev.understudy.cli.UsageException;
import dev.understudy.common.RunLock;
import dev.understudy.config.Config;
import dev.understudy.coordination.Coordination;
import dev.understudy.node.NodeAdapter;
import dev.understudy.node.NodeAdapters;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/** {@code watchdog --once} (cron, one check, exits 75 if another is running) or {@code --loop} (a service). */
public final class WatchdogCommand extends BaseCommand {
    private static final Logger LOG = LogManager.getLogger(WatchdogCommand.class);

    @Override
    public String name() {
        return "watchdog";
    }

    @Override
    public String summary() {
        return "observe role, nodes, chain, keys, etcd and hosts; alert; write metrics (--once for cron, --loop for a service)";
    }

    @Override
    protected org.apache.commons.cli.Options options() {
        return new org.apache.commons.cli.Options().addOption(Options.config())
                .addOption(Options.flag("once", "one check, then exit (cron)"))
                .addOption(Options.flag("loop", "check forever (a service)"))
                .addOption(Options.value("interval", "S", "seconds between checks with --loop (default watchdog.interval_s)"));
    }

    @Override
    protected int execute(Options o, Io io) throws Exception {
        if (o.has("once") == o.has("loop")) {
            throw new UsageException("give exactly one of --once and --loop");
        }
        Config c = Config.load(o.configPath());
        try (RunLock lock = RunLock.acquire(c.stateDir().resolve("watchdog.lock"), "watchdog")) {
            if (o.has("once")) {
                runner(c).check();
                return Exit.OK;
            }
            // a service: the config is read again when it changes (a new channel, a new interval), no restart needed
            Path file = c.source();
            FileTime seen = Files.getLastModifiedTime(file);
            WatchdogRunner runner = runner(c);
            while (!Thread.currentThread().isInterrupted()) {
                long t0 = System.currentTimeMillis();
                try {
                    FileTime now = Files.getLastModifiedTime(file);
                    if (!now.equals(seen)) {
                        seen = now;
                        c = Config.load(file);
                        runner = runner(c);
                        LOG.info("validator {}: {} changed; checks use it from now on", c.validator(), file);
                    }
                } catch (BadInputException | IOException e) {
                    // a broken edit: keep checking with the last good config (and say so at every check until fixed)
                    LOG.error("validator {}: {}; still using the last good config", c.validator(), e.getMessage());
                    seen = null;
                }
                try {
                    runner.check();
                } catch (Exception e) {
                    LOG.error("validator {}: check failed: {}", c.validator(), e.toString(), e);
                }
                long intervalMs = 1000 * o.longValue("interval", c.watchdog().interval().toSeconds());
                Thread.sleep(Math.max(100, intervalMs - (System.currentTimeMillis() - t0)));
            }
            return Exit.OK;
        }
    }

    private static WatchdogRunner runner(Config c) throws BadInputException, IOException {
        NodeAdapter chain = c.hasNode() ? NodeAdapters.create(c) : null;
        return new WatchdogRunner(c, Coordination.etcd(c), chain, Alerting.dispatcher(c, "alerts.json"));
    }
}
