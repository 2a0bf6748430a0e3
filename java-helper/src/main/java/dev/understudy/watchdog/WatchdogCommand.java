package dev.understudy.watchdog;

import dev.understudy.alert.Alerting;
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
import org.apache.logging.log4j.LogManager;

/** {@code watchdog --once} (cron, one check, exits 75 if another is running) or {@code --loop} (a service). */
public final class WatchdogCommand extends BaseCommand {
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
        NodeAdapter chain = c.hasNode() ? NodeAdapters.create(c) : null;
        WatchdogRunner runner = new WatchdogRunner(c, Coordination.etcd(c), chain, Alerting.dispatcher(c, "alerts.json"));
        try (RunLock lock = RunLock.acquire(c.stateDir().resolve("watchdog.lock"), "watchdog")) {
            if (o.has("once")) {
                runner.check();
                return Exit.OK;
            }
            long intervalMs = 1000 * o.longValue("interval", c.watchdog().interval().toSeconds());
            while (!Thread.currentThread().isInterrupted()) {
                long t0 = System.currentTimeMillis();
                try {
                    runner.check();
                } catch (Exception e) {
                    LogManager.getLogger(WatchdogCommand.class).error("validator {}: check failed: {}", c.validator(), e.toString(), e);
                }
                Thread.sleep(Math.max(100, intervalMs - (System.currentTimeMillis() - t0)));
            }
            return Exit.OK;
        }
    }
}
