package dev.understudy.coordination;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.understudy.alert.Notification;
import dev.understudy.config.Config;
import dev.understudy.testing.AgentLab;
import dev.understudy.testing.Cli;
import dev.understudy.testing.RecordingAlerts;
import dev.understudy.testing.Wait;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agents of val1 against real parts (etcd, a simnet chain, nodes, bundles over SFTP), the backup being shared
 * with another validator whose role the test holds in the backup's one capacity slot, as that validator's instance
 * on the same host would. Ends with the chain's verdict: zero double signs.
 */
class SharedBackupAgentTest {
    static final String SLOT = "/understudy/@hosts/lab-backup/slots/1";
    static final Duration T = Duration.ofSeconds(1);
    @TempDir
    Path dir;
    AgentLab lab;
    AgentLab.Running main;
    AgentLab.Running backup;
    long startRound;
    final RecordingAlerts alerts = new RecordingAlerts();

    @BeforeEach
    void setUp() throws Exception {
        // periods of 30 s: the main dies in the first, and the backup holds keys for no later one
        lab = new AgentLab(dir, 150);
        startRound = lab.round();
        Files.writeString(lab.d.backupConfig, Files.readString(lab.d.backupConfig)
                .replace("coordination:\n", "coordination:\n  shared_backup: {capacity: 1, priority: 2, priority_step_ms: 1500}\n"));
        main = lab.start(lab.d.mainConfig);
        Config bc = Config.load(lab.d.backupConfig);
        backup = lab.start(lab.d.backupConfig, () -> alerts.dispatcher(bc, "agent-alerts.json"));
        lab.awaitMainSigningAndBackupKeys();
    }

    @AfterEach
    void tearDown() throws Exception {
        lab.closeWithoutDoubleSign(startRound, main, backup);
    }

    List<String> receivedNames() {
        return alerts.names();
    }

    void powerOffMain() throws Exception {
        main.kill();
        lab.mainNode.close();
        main = null;
    }

    @Test
    void aFullBackupRaisesBackupCapacityAndTakesOverOnceItsSlotIsFree() throws Exception {
        Etcd etcd = lab.client();
        long val2 = etcd.grant(60, T);
        etcd.put(SLOT, "val2", val2, T);
        long lastMainRound = lab.round();
        powerOffMain();
        Wait.until("BACKUP_CAPACITY from the backup", 20_000, () -> receivedNames().contains("firing BACKUP_CAPACITY"));
        Notification n = alerts.first(dev.understudy.alert.AlertName.BACKUP_CAPACITY);
        assertTrue(n.alert().summary().contains("every capacity slot of lab-backup (1) is held, for val2: not taking the role of val1"),
                n.alert().summary());
        Thread.sleep(1000);
        assertEquals(null, lab.holder(), "nobody holds val1's role while the backup's only slot carries val2");
        assertFalse(AgentLab.status(lab.backupNode.url()).path("validation").asBoolean());
        assertEquals("val2", etcd.get(SLOT, T).orElseThrow().value(), "nothing is preempted");
        Cli.Run st = Cli.run("status", "--config", lab.d.backupConfig.toString());
        assertTrue(st.out().contains("shared backup lab-backup: 1 of 1 slots held: val2 (slot 1); val1 has priority 2"), st.toString());
        assertTrue(st.out().contains("every capacity slot of lab-backup (1) is held"), "the backup's status says why: " + st);

        // val2's role ends on the shared backup (its main is back): its slot goes with its lease
        long freedAt = System.currentTimeMillis();
        etcd.revoke(val2, T);
        Wait.until("the backup to take val1's role and sign", 15_000, () -> "lab-backup".equals(lab.holder())
                && AgentLab.status(lab.backupNode.url()).path("lastAcceptedRound").asLong() > lastMainRound);
        long tookMs = System.currentTimeMillis() - freedAt;
        Etcd.KeyValue slot = etcd.get(SLOT, T).orElseThrow();
        assertEquals("val1", slot.value());
        assertEquals(etcd.get("/understudy/val1/leader", T).orElseThrow().lease(), slot.lease(), "the slot lives on val1's lease");
        Wait.until("BACKUP_CAPACITY resolved", 10_000, () -> receivedNames().contains("resolved BACKUP_CAPACITY"));
        // rank 2 of step 1500 ms: its wait counts from the slot seen free, so higher ranks that waited too go first
        System.out.println("slot freed to the backup's first accepted vote: " + tookMs + " ms");
        assertTrue(tookMs >= 1500 && tookMs < 8000, "took " + tookMs + " ms");
    }

    @Test
    void aLowerRankWaitsItsStepsBeforeTaking() throws Exception {
        long t0 = System.currentTimeMillis();
        long lastMainRound = lab.round();
        powerOffMain();
        Wait.until("the backup to take the role and sign", 20_000, () -> "lab-backup".equals(lab.holder())
                && AgentLab.status(lab.backupNode.url()).path("lastAcceptedRound").asLong() > lastMainRound);
        long ms = System.currentTimeMillis() - t0;
        System.out.println("power-off to the rank-2 backup's first accepted vote: " + ms + " ms");
        // the takeover report: from the role first seen free to taken, the evidence wait (3 rounds of 200 ms) and then
        // rank 2's step of 1500 ms (without the step: under a second)
        Etcd etcd = lab.client();
        java.util.function.Supplier<java.util.Optional<Etcd.KeyValue>> backupsReport = () -> {
            try {
                return etcd.prefix("/understudy/val1/reports/", T).stream().filter(kv -> kv.value().contains("\"host\":\"lab-backup\""))
                        .findFirst();
            } catch (EtcdException e) {
                return java.util.Optional.empty();
            }
        };
        Wait.until("the backup's takeover report", 10_000, () -> backupsReport.get().isPresent());
        com.fasterxml.jackson.databind.JsonNode report = dev.understudy.common.Json.MAPPER.readTree(backupsReport.get().orElseThrow().value());
        long waited = report.path("acquiredAtMs").asLong() - report.path("absentObservedAtMs").asLong();
        System.out.println("the role seen free to taken by rank 2: " + waited + " ms");
        assertTrue(waited >= 1500 + 600, "rank 2 took the role " + waited + " ms after it was seen free: " + report);
        assertEquals("val1", lab.client().get(SLOT, T).orElseThrow().value());
        assertFalse(receivedNames().contains("firing BACKUP_CAPACITY"), receivedNames().toString());
    }
}
