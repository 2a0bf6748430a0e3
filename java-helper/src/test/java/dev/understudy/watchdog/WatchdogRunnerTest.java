package dev.understudy.watchdog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.understudy.alert.AlertName;
import dev.understudy.alert.Dispatcher;
import dev.understudy.alert.Notification;
import dev.understudy.common.Json;
import dev.understudy.config.Config;
import dev.understudy.coordination.Coordination;
import dev.understudy.coordination.Etcd;
import dev.understudy.node.NodeAdapters;
import dev.understudy.testing.AgentLab;
import dev.understudy.testing.Cli;
import dev.understudy.testing.RecordingAlerts;
import dev.understudy.testing.Wait;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The watchdog against real parts: etcd, a simnet chain and nodes, both agents, the drop's SSH server. A
 * healthy deployment is quiet; a holder that is alive but not heard on the chain is asked to step down (the
 * watchdog writes a request, it never touches the leader key), and the takeover that follows is reported.
 */
class WatchdogRunnerTest {
    @TempDir
    Path dir;
    AgentLab lab;
    AgentLab.Running main;
    AgentLab.Running backup;
    long startRound;
    Path monitorConfig;
    final RecordingAlerts alerts = new RecordingAlerts();

    @BeforeEach
    void setUp() throws Exception {
        lab = new AgentLab(dir);
        startRound = lab.round();
        // a main whose own health checks never give up (as a hung check would): only the watchdog can move it
        Files.writeString(lab.d.mainConfig, Files.readString(lab.d.mainConfig).replace("unhealthy_checks: 5", "unhealthy_checks: 1000"));
        monitorConfig = dir.resolve("monitor/understudy.yml");
        Files.createDirectories(monitorConfig.getParent());
        String backupText = Files.readString(lab.d.backupConfig);
        Files.writeString(monitorConfig, backupText
                .replace("host: lab-backup\n", "host: lab-monitor\n")
                .replaceAll("state_dir: .*\n", "state_dir: " + dir.resolve("monitor/state") + "\n")
                .replace("node:\n", "  lab-monitor:\n    role: monitor\n    address: 127.0.0.1\nnode:\n")
                + "watchdog:\n"
                + "  interval_s: 1\n"
                + "  status_stale_s: 3\n"
                + "  keys_grace_s: 5\n"
                + "  ssh_port: " + lab.drop.port() + "\n"
                + "  ssh_timeout_ms: 1000\n"
                + "  metrics_file: " + dir.resolve("textfile/understudy.prom") + "\n"
                + "  demote_after_rounds: 10\n"
                + "  evidence_rounds: 3\n", StandardCharsets.UTF_8);
        main = lab.start(lab.d.mainConfig);
        backup = lab.start(lab.d.backupConfig);
        lab.awaitMainSigningAndBackupKeys();
    }

    @AfterEach
    void tearDown() throws Exception {
        lab.closeWithoutDoubleSign(startRound, main, backup);
    }

    Dispatcher recordingDispatcher(Config c, String stateName) throws Exception {
        return alerts.dispatcher(c, stateName);
    }

    WatchdogRunner runner() throws Exception {
        Config c = Config.load(monitorConfig);
        return new WatchdogRunner(c, Coordination.etcd(c), NodeAdapters.create(c), recordingDispatcher(c, "alerts.json"));
    }

    List<String> receivedNames() {
        return alerts.names();
    }

    /** Checks once a second until the result satisfies {@code done}; returns that result. */
    static WatchdogRunner.Result checkUntil(WatchdogRunner r, String what, long ms, Predicate<WatchdogRunner.Result> done) throws Exception {
        long end = System.currentTimeMillis() + ms;
        WatchdogRunner.Result last = null;
        while (System.currentTimeMillis() < end) {
            last = r.check();
            if (done.test(last)) {
                return last;
            }
            Thread.sleep(1000);
        }
        throw new AssertionError("timed out after " + ms + " ms waiting for " + what + "; last alerts: "
                + (last == null ? "none" : last.active()));
    }

    static boolean has(WatchdogRunner.Result r, AlertName n) {
        return r.active().stream().anyMatch(a -> a.name() == n);
    }

    @Test
    void aHealthyDeploymentIsQuietAndTheCheckLeavesMetricsAndAHeartbeat() throws Exception {
        WatchdogRunner r = runner();
        // the agents publish their status every few hundred ms; a check or two until both are fresh
        WatchdogRunner.Result res = checkUntil(r, "a quiet check with both agents' status fresh", 10_000, x -> x.active().isEmpty()
                && x.observation().host("lab-backup").status().path("keys").path("current").asBoolean()
                && x.observation().host("lab-main").flag("signing"));
        assertEquals("lab-main", res.observation().holder());
        assertTrue(res.observation().hosts().stream().allMatch(Observation.HostView::sshUp), res.observation().hosts().toString());
        assertEquals(List.of(), alerts.all());
        String metrics = Files.readString(dir.resolve("textfile/understudy.prom"));
        assertTrue(metrics.contains("understudy_role{configured_role=\"main\",host=\"lab-main\",validator=\"val1\"} 1"), metrics);
        assertTrue(metrics.contains("understudy_keys_covered{configured_role=\"backup\",host=\"lab-backup\",period=\"current\",validator=\"val1\"} 1"),
                metrics);
        assertEquals("0", MetricsTest.promtool(metrics), metrics);
        JsonNode hb = Json.parseObject(lab.client().get("/understudy/val1/watchdog", Duration.ofSeconds(1)).orElseThrow().value()
                .getBytes(StandardCharsets.UTF_8), "heartbeat");
        assertEquals("lab-monitor", hb.path("host").asText());
        assertTrue(System.currentTimeMillis() - hb.path("atMs").asLong() < 5000);
        // cron's overlap guard: a second watchdog while one runs exits 75 at once
        try (var lock = dev.understudy.common.RunLock.acquire(Config.load(monitorConfig).stateDir().resolve("watchdog.lock"), "watchdog")) {
            Cli.Run second = Cli.run("watchdog", "--once", "--config", monitorConfig.toString());
            assertEquals(75, second.code(), second.toString());
        }
    }

    @Test
    void theHolderNoticesAWatchdogThatStoppedCheckingAndWhenItIsBack() throws Exception {
        main.stop();
        main = null;
        backup.stop();
        backup = null;
        Wait.until("the role to be free", 10_000, () -> lab.holder() == null);
        // the main's agent, now with a watchdog section (heartbeat stale after 10 s) and its own channel
        Files.writeString(lab.d.mainConfig, Files.readString(lab.d.mainConfig) + "watchdog:\n  heartbeat_stale_s: 10\n");
        Config mc = Config.load(lab.d.mainConfig);
        Dispatcher agentAlerts = recordingDispatcher(mc, "agent-alerts.json");
        main = lab.start(lab.d.mainConfig, () -> agentAlerts);
        backup = lab.start(lab.d.backupConfig);
        Wait.until("main to hold the role again", 15_000, () -> "lab-main".equals(lab.holder()));
        long t0 = System.currentTimeMillis();
        Wait.until("WATCHDOG_STALE from the holder", 30_000, () -> receivedNames().contains("firing WATCHDOG_STALE"));
        long staleAfter = System.currentTimeMillis() - t0;
        assertTrue(staleAfter >= 5_000, "the grace from the agent's start must hold; fired after " + staleAfter + " ms");
        // the watchdog checks again, every 2 s as a service would (one check alone goes stale again before an
        // agent that looks every 10 s may see it)
        WatchdogRunner back = runner();
        long deadline = System.currentTimeMillis() + 30_000;
        while (!receivedNames().contains("resolved WATCHDOG_STALE")) {
            assertTrue(System.currentTimeMillis() < deadline, "WATCHDOG_STALE did not resolve once the watchdog checked again");
            back.check();
            Thread.sleep(2000);
        }
        assertEquals(List.of("firing WATCHDOG_STALE", "resolved WATCHDOG_STALE"), receivedNames());
    }

    @Test
    void aHolderThatIsAliveButNotHeardIsAskedToStepDownAndTheTakeoverIsReported() throws Exception {
        WatchdogRunner r = runner();
        checkUntil(r, "a quiet check", 10_000, x -> x.active().isEmpty());
        long epoch = r.check().observation().epoch();
        lab.mainLink.block();
        WatchdogRunner.Result demoted = checkUntil(r, "a demote request", 20_000, x -> x.demoted() != null);
        assertTrue(has(demoted, AlertName.FAILOVER_STARTED), demoted.active().toString());
        assertTrue(demoted.demoted().startsWith("lab-main holds the role (epoch " + epoch + ")"), demoted.demoted());
        WatchdogRunner.Result done = checkUntil(r, "FAILOVER_COMPLETED", 30_000, x -> has(x, AlertName.FAILOVER_COMPLETED));
        assertEquals("lab-backup", done.observation().holder());
        assertTrue(done.observation().epoch() > epoch);
        Notification n = alerts.first(AlertName.FAILOVER_COMPLETED);
        assertNotNull(n.alert().details().get("detection"), n.text());
        assertNotNull(n.alert().details().get("rounds lost"), n.text());
        assertTrue(n.alert().summary().contains("from lab-main"), n.text());
        assertFalse(AgentLab.status(lab.mainNode.url()).path("validation").asBoolean(), "the demoted main must have stopped");
        Etcd.KeyValue request = lab.client().get("/understudy/val1/demote", Duration.ofSeconds(1)).orElseThrow();
        assertTrue(request.value().contains("\"epoch\":" + epoch), "it names the demoted epoch only: " + request.value());
        assertTrue(request.lease() != 0 && lab.client().timeToLive(request.lease(), Duration.ofSeconds(1)) > 0,
                "the request lives on a lease of its own and expires by itself");
        // once the backup signs, the failover is over (the main stays cut off: MAIN_NOT_SIGNING remains)
        checkUntil(r, "FAILOVER_STARTED to resolve", 15_000, x -> !has(x, AlertName.FAILOVER_STARTED));
        assertTrue(receivedNames().contains("resolved FAILOVER_STARTED"), receivedNames().toString());
        assertTrue(receivedNames().indexOf("firing FAILOVER_STARTED") < receivedNames().indexOf("firing FAILOVER_COMPLETED"), receivedNames().toString());
    }
}
