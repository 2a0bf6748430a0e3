package dev.understudy.coordination;

import dev.understudy.alert.Alerting;
import dev.understudy.cli.BadInputException;
import dev.understudy.cli.BaseCommand;
import dev.understudy.cli.Exit;
import dev.understudy.cli.Io;
import dev.understudy.cli.Options;
import dev.understudy.config.Config;
import dev.understudy.config.CoordinationSettings;
import dev.understudy.node.NodeAdapter;
import dev.understudy.node.NodeAdapters;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * {@code agent}: holds or stands by for the signing role (systemd service on main and backup). With several
 * {@code --config} (a backup shared by several validators) it runs one agent per validator in one process, sharing
 * the host's one hang watchdog ({@link SharedHangWatchdog}); each configuration must then declare
 * {@code coordination.shared_backup}, name this host, and give the same watchdog.
 */
final class AgentCommand extends BaseCommand {
    private static final Logger LOG = LogManager.getLogger(AgentCommand.class);

    @Override
    public String name() {
        return "agent";
    }

    @Override
    public String summary() {
        return "hold or stand by for the signing role (systemd service on main and backup; several --config on a shared backup)";
    }

    @Override
    protected org.apache.commons.cli.Options options() {
        return CoordinationCommands.base();
    }

    @Override
    protected int execute(Options o, Io io) throws Exception {
        List<Config> configs = new ArrayList<>();
        for (java.nio.file.Path p : o.configPaths()) {
            configs.add(Config.load(p));
        }
        HangWatchdog device = HangWatchdog.create(configs.get(0).coordination().watchdog());
        SharedHangWatchdog shared = configs.size() > 1 ? new SharedHangWatchdog(device, System::nanoTime) : null;
        if (shared != null) {
            checkShared(configs);
        }
        List<Agent> agents = new java.util.concurrent.CopyOnWriteArrayList<>();
        for (Config c : configs) {
            NodeAdapter node = NodeAdapters.create(c);
            Agent agent = new Agent(c, Coordination.etcd(c), node, shared == null ? device : shared.lane(), Agent.storeKeys(c, node),
                    Alerting.reloading(c.source(), "agent-alerts.json"));
            agents.add(agent);
            watchAccess(c, node, () -> agents.stream().anyMatch(Agent::isHolder));
        }
        CountDownLatch done = new CountDownLatch(agents.size());
        List<Thread> threads = new java.util.concurrent.CopyOnWriteArrayList<>(List.of(Thread.currentThread()));
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            agents.forEach(Agent::close);
            threads.forEach(Thread::interrupt);
            try {
                done.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }));
        // the first agent runs on this thread (its failure ends the command as any command's does); the others on their own
        for (int i = 1; i < agents.size(); i++) {
            Agent a = agents.get(i);
            String validator = configs.get(i).validator();
            Thread t = new Thread(() -> {
                try {
                    a.run();
                } catch (Exception | Error e) {
                    LOG.error("the agent of validator {} stopped: {}; exiting so that systemd starts every agent again", validator,
                            e.toString(), e);
                    System.exit(Exit.SOFTWARE);
                } finally {
                    done.countDown();
                }
            }, "agent-" + validator);
            threads.add(t);
            t.start();
        }
        try {
            agents.get(0).run();
        } finally {
            done.countDown();
        }
        done.await();
        return Exit.OK;
    }

    /** Several validators in one process: each a shared backup's instance on this same host, with one watchdog. */
    static void checkShared(List<Config> configs) throws BadInputException {
        Config first = configs.get(0);
        java.util.Set<String> validators = new java.util.HashSet<>();
        for (Config c : configs) {
            CoordinationSettings cs = c.coordination();
            if (!cs.sharedBackup().enabled()) {
                throw new BadInputException(c.source() + ": coordination.shared_backup: is required when one agent process runs "
                        + "several validators (--config given " + configs.size() + " times)");
            }
            if (!c.host().equals(first.host())) {
                throw new BadInputException(c.source() + ": host: '" + c.host() + "' differs from " + first.source() + "'s '"
                        + first.host() + "': one agent process serves one host");
            }
            if (!cs.watchdog().equals(first.coordination().watchdog())) {
                throw new BadInputException(c.source() + ": coordination.watchdog differs from " + first.source()
                        + "'s: the host has one watchdog");
            }
            if (cs.sharedBackup().capacity() != first.coordination().sharedBackup().capacity()) {
                throw new BadInputException(c.source() + ": coordination.shared_backup.capacity differs from " + first.source()
                        + "'s: the host has one capacity");
            }
            if (!validators.add(c.validator())) {
                throw new BadInputException(c.source() + ": validator " + c.validator() + " is given twice");
            }
        }
    }

    /**
     * Restarts a standby agent (exit 75; systemd starts it again) whose writable directories changed under it: see
     * {@link AccessWatch}. With several validators in the process, one holding agent keeps every one from restarting.
     */
    private static void watchAccess(Config c, NodeAdapter node, java.util.function.BooleanSupplier anyHolder) throws BadInputException {
        String tag = "validator " + c.validator() + " on " + c.host() + ": ";
        AccessWatch watch = new AccessWatch(dev.understudy.node.AccessCommand.of(c, node, NodeAdapters.unit(c)).writes(), tag);
        Thread t = new Thread(() -> {
            String why = watch.await(anyHolder);
            if (why != null) {
                LogManager.getLogger(AccessWatch.class).warn("{}{}: restarting (exit 75) so that systemd gives the agent that "
                        + "directory writable", tag, why);
                System.exit(Exit.TEMPFAIL);
            }
        }, "access-watch");
        t.setDaemon(true);
        t.start();
    }
}
