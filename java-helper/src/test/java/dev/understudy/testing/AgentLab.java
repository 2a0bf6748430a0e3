package dev.understudy.testing;

import com.fasterxml.jackson.databind.JsonNode;
import dev.understudy.common.HttpJson;
import dev.understudy.config.Config;
import dev.understudy.coordination.Agent;
import dev.understudy.coordination.Coordination;
import dev.understudy.coordination.Etcd;
import dev.understudy.coordination.HangWatchdog;
import dev.understudy.node.NodeAdapter;
import dev.understudy.node.NodeAdapters;
import dev.understudy.simnet.chain.Chain;
import dev.understudy.simnet.chain.Genesis;
import dev.understudy.simnet.cli.NodeCommand;
import dev.understudy.simnet.node.Node;
import dev.understudy.transfer.Receive;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Everything the agents need, in one process on loopback: a real etcd (TLS, auth), a simnet chain, a main node
 * (behind a proxy that can cut it from the chain) and a backup node, both hosts' configs with a coordination
 * section, an SFTP drop on each host (the holder pushes to the other, whichever it is), and a receive loop per host
 * standing in for the path unit.
 */
public final class AgentLab implements AutoCloseable {
    public static final long ROUND_MS = 200;
    public final EtcdProcess etcd;
    public final Chain chain;
    public final TcpProxy mainLink;
    public NodeCommand.Running mainNode;
    public final NodeCommand.Running backupNode;
    public final Deployment d;
    public final SftpServer drop;
    public final SftpServer mainDrop;
    private final Path dir;
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean receiving = true;

    /** A running agent and how to stop it. */
    public static final class Running {
        public final Agent agent;
        final Thread thread;

        Running(Agent agent, Thread thread) {
            this.agent = agent;
            this.thread = thread;
        }

        /** A clean stop: a holder deactivates and releases. */
        public void stop() throws InterruptedException {
            agent.close();
            thread.interrupt();
            thread.join(5000);
        }

        /** The process dies: no release, no deactivation (the node keeps whatever state it had). */
        public void kill() throws InterruptedException {
            agent.crashForTest();
            thread.interrupt();
            thread.join(5000);
        }
    }

    public AgentLab(Path dir) throws Exception {
        this(dir, 50);
    }

    /** With validation periods of {@code periodRounds} rounds (a standby holds keys for the current and next period only). */
    public AgentLab(Path dir, int periodRounds) throws Exception {
        this.dir = dir;
        etcd = new EtcdProcess(dir.resolve("etcd"));
        InetSocketAddress any = new InetSocketAddress("127.0.0.1", 0);
        chain = Chain.start(dir.resolve("chain"), any, new Genesis.Requested(ROUND_MS, periodRounds, 15, 300), System::currentTimeMillis);
        mainLink = new TcpProxy(chain.url());
        mainNode = startMainNode();
        backupNode = NodeCommand.start(chain.url(), any, dir.resolve("backup-node"), "val1", false, false, Node.Options.DEFAULT,
                System::currentTimeMillis);
        d = new Deployment(dir.resolve("deploy"));
        drop = new SftpServer(d.incoming.getParent(), "drop", d.clientPublicKey);
        drop.writeKnownHosts(d.knownHosts);
        mainDrop = new SftpServer(d.mainIncoming.getParent(), "drop", d.clientPublicKey);
        mainDrop.addToKnownHosts(d.knownHosts);
        d.writeConfigs(new Deployment.Nodes(chain.url(), mainNode.url(), dir.resolve("main-node"), backupNode.url(),
                dir.resolve("backup-node")), drop.port(), mainDrop.port());
        Files.writeString(dir.resolve("etcd-password"), EtcdProcess.PASSWORD);
        for (Path cfg : List.of(d.mainConfig, d.backupConfig)) {
            Files.writeString(cfg, Files.readString(cfg) + coordination(), StandardCharsets.UTF_8);
        }
        Thread r = new Thread(this::receiveLoop, "receive");
        r.setDaemon(true);
        r.start();
        threads.add(r);
    }

    /** The main's node, through the proxy (validating from the start, as provisioning leaves it; the guard and agent decide). */
    public NodeCommand.Running startMainNode() throws Exception {
        return NodeCommand.start(mainLink.url(), new InetSocketAddress("127.0.0.1", mainNode == null ? 0
                : java.net.URI.create(mainNode.url()).getPort()), dir.resolve("main-node"), "val1", true, true,
                Node.Options.DEFAULT, System::currentTimeMillis);
    }

    String coordination() {
        return "coordination:\n"
                + etcd.clientSettings(dir.resolve("etcd-password"))
                + "  lease_ttl_ms: 3000\n"
                + "  margin_ms: 1000\n"
                + "  keepalive_interval_ms: 300\n"
                + "  request_timeout_ms: 400\n"
                + "  takeover_rounds: 3\n"
                + "  poll_interval_ms: 100\n"
                + "  unhealthy_checks: 5\n"
                + "  activation_grace_ms: 1500\n"
                + "  standby_delay_ms: 500\n"
                + "  cooldown_ms: 3000\n"
                + "  push_interval_ms: 1000\n";
    }

    private void receiveLoop() {
        while (receiving) {
            for (Path cfg : List.of(d.backupConfig, d.mainConfig)) {
                try {
                    new Receive(Config.load(cfg)).run();
                } catch (Exception e) {
                    // the next pass retries
                }
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    public Running start(Path configFile) throws Exception {
        return start(configFile, null);
    }

    /** An agent that raises its own alerts (WATCHDOG_STALE, ELECTION_DUTY_OFF) through {@code alerts}. */
    public Running start(Path configFile, dev.understudy.alert.Alerting.Source alerts) throws Exception {
        return start(configFile, alerts, new HangWatchdog.None(), n -> n);
    }

    /** An agent with its own hang watchdog and its node adapter wrapped (a slow or failing node). */
    public Running start(Path configFile, dev.understudy.alert.Alerting.Source alerts, HangWatchdog watchdog,
            java.util.function.UnaryOperator<NodeAdapter> wrap) throws Exception {
        Config c = Config.load(configFile);
        NodeAdapter node = wrap.apply(NodeAdapters.create(c));
        Agent a = new Agent(c, Coordination.etcd(c), node, watchdog, Agent.storeKeys(c, node), alerts);
        Thread t = new Thread(() -> {
            try {
                a.run();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, "agent-" + c.host());
        t.setDaemon(true);
        t.start();
        threads.add(t);
        return new Running(a, t);
    }

    /** Waits until the main holds the role and signs, and the backup holds verified keys for the current period. */
    public void awaitMainSigningAndBackupKeys() throws InterruptedException {
        Wait.until("main to hold the role and sign", 15_000, () -> "lab-main".equals(holder())
                && status(mainNode.url()).path("signing").asBoolean());
        Wait.until("the backup to hold verified keys for the current period", 15_000,
                () -> Cli.run("sync", "status", "--config", d.backupConfig.toString()).code() == 0);
    }

    public Etcd client() throws Exception {
        return etcd.client(Duration.ofSeconds(1));
    }

    public String holder() {
        try {
            return client().get("/understudy/val1/leader", Duration.ofSeconds(1))
                    .map(kv -> kv.value().replaceAll(".*\"holder\":\"([^\"]+)\".*", "$1")).orElse(null);
        } catch (Exception e) {
            return null;
        }
    }

    public static JsonNode status(String nodeUrl) {
        try {
            return new HttpJson(nodeUrl, Duration.ofSeconds(2)).get("/status");
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    public JsonNode chainGet(String path) {
        try {
            return new HttpJson(chain.url(), Duration.ofSeconds(2)).get(path);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    public long round() {
        return chainGet("/status").get("round").asLong();
    }

    /** The chain's summary of val1 over [from, to]: doubleSigns, longestGapRounds, signerInstances... */
    public JsonNode summary(long from, long to) {
        return chainGet("/validators/val1/summary?from=" + from + "&to=" + to);
    }

    /** Stops the agents that run, closes the lab, and fails if the chain recorded a double sign since startRound. */
    public void closeWithoutDoubleSign(long startRound, Running... agents) throws Exception {
        for (Running a : agents) {
            if (a != null) {
                a.stop();
            }
        }
        JsonNode v = summary(startRound, round());
        close();
        org.junit.jupiter.api.Assertions.assertEquals(0, v.get("doubleSigns").asLong(), "the chain recorded a double sign: " + v);
    }

    @Override
    public void close() throws Exception {
        receiving = false;
        for (Thread t : threads) {
            t.interrupt();
        }
        mainNode.close();
        backupNode.close();
        drop.close();
        mainDrop.close();
        mainLink.close();
        chain.close();
        etcd.close();
    }
}
