package dev.understudy.watchdog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.understudy.common.Json;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The textfile: Prometheus's own linter accepts it, and it says what happened. */
class MetricsTest {
    @TempDir
    Path dir;

    static Observation afterFailover() {
        ObjectNode report = Json.object();
        report.put("epoch", 77).put("kind", "failover").put("host", "b").put("previousHolder", "m").put("previousLastVoteRound", 90)
                .put("acquiredAtRound", 94).put("roundMs", 1000).put("acquiredAtMs", 1_000_000).put("firstSignedObservedAtMs", 1_001_300)
                .put("roundsLost", 4);
        ObjectNode backup = RulesTest.status("holder", true, true, true, false);
        ((ObjectNode) backup.get("bundles")).put("quarantined", 2);
        Observation base = RulesTest.obs("b", RulesTest.chain(true, 1, false), null, backup);
        return new Observation(base.at(), "val\"1", "m", true, 3, 2, null, "b", 77, 2, base.hosts(), base.evidence(), null, report);
    }

    /** Runs {@code promtool check metrics} (Debian's prometheus package; lab/install-deps installs it). */
    static String promtool(String text) throws IOException, InterruptedException {
        Process p;
        try {
            p = new ProcessBuilder("promtool", "check", "metrics").redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new IOException("promtool is not installed: run lab/install-deps (Debian package prometheus)", e);
        }
        try (OutputStream in = p.getOutputStream()) {
            in.write(text.getBytes(StandardCharsets.UTF_8));
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        return p.exitValue() + (out.isBlank() ? "" : " " + out.trim());
    }

    @Test
    void promtoolAcceptsTheFile() throws Exception {
        String text = Metrics.of(afterFailover(), List.of("MAIN_NOT_SIGNING|v|m", "ETCD_DEGRADED|v|"), Duration.ofMillis(250), RulesTest.CFG).text();
        assertEquals("0", promtool(text), text);
        String healthy = Metrics.of(RulesTest.healthy(), List.of(), Duration.ofMillis(40), RulesTest.CFG).text();
        assertEquals("0", promtool(healthy), healthy);
    }

    @Test
    void promtoolWouldRefuseABrokenFile() throws Exception {
        // the check above can fail: a sample without its TYPE and a bad name are reported
        assertFalse(promtool("# HELP x_total a\n# TYPE x_total counter\nx_total 1\nbad-name 2\n").startsWith("0"));
    }

    @Test
    void theFileSaysWhoHoldsTheRoleAndWhatTheLastFailoverCost() {
        String t = Metrics.of(afterFailover(), List.of("MAIN_NOT_SIGNING|v|m"), Duration.ofMillis(250), RulesTest.CFG).text();
        assertTrue(t.contains("understudy_role{configured_role=\"backup\",host=\"b\",validator=\"val\\\"1\"} 1\n"), t);
        assertTrue(t.contains("understudy_role{configured_role=\"main\",host=\"m\",validator=\"val\\\"1\"} 0\n"), t);
        assertTrue(t.contains("understudy_epoch{validator=\"val\\\"1\"} 77\n"), t);
        assertTrue(t.contains("understudy_etcd_members_answering{validator=\"val\\\"1\"} 2\n"), t);
        assertTrue(t.contains("understudy_keys_covered{configured_role=\"backup\",host=\"b\",period=\"current\",validator=\"val\\\"1\"} 1\n"), t);
        assertTrue(t.contains("understudy_keys_covered{configured_role=\"backup\",host=\"b\",period=\"next\",validator=\"val\\\"1\"} 0\n"), t);
        assertTrue(t.contains("understudy_bundles_quarantined{configured_role=\"backup\",host=\"b\",validator=\"val\\\"1\"} 2\n"), t);
        assertTrue(t.contains("understudy_agent_up{configured_role=\"main\",host=\"m\",validator=\"val\\\"1\"} 0\n"), t);
        assertTrue(t.contains("understudy_last_takeover_detection_seconds{validator=\"val\\\"1\"} 4\n"), t);
        assertTrue(t.contains("understudy_last_takeover_time_to_first_signature_seconds{validator=\"val\\\"1\"} 1.3\n"), t);
        assertTrue(t.contains("understudy_last_takeover_rounds_lost{validator=\"val\\\"1\"} 4\n"), t);
        assertTrue(t.contains("understudy_alerts_firing{alertname=\"MAIN_NOT_SIGNING\",validator=\"val\\\"1\"} 1\n"), t);
        assertTrue(t.contains("understudy_alerts_firing{alertname=\"TWO_SIGNERS\",validator=\"val\\\"1\"} 0\n"), t);
        assertFalse(t.contains("FAILOVER_COMPLETED"), "events are not conditions: no firing gauge for them");
    }

    @Test
    void theFileIsReplacedWholeAndReadableByTheExporter() throws Exception {
        Path f = dir.resolve("textfile/understudy.prom");
        Metrics.of(RulesTest.healthy(), List.of(), Duration.ofMillis(40), RulesTest.CFG).write(f);
        String first = Files.readString(f);
        Metrics.of(afterFailover(), List.of(), Duration.ofMillis(40), RulesTest.CFG).write(f);
        assertTrue(Files.readString(f).contains("understudy_last_takeover_rounds_lost"));
        assertFalse(first.contains("understudy_last_takeover_rounds_lost"));
        assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)));
        try (var s = Files.list(f.getParent())) {
            assertEquals(1, s.count(), "no temporary file left beside it");
        }
    }
}
