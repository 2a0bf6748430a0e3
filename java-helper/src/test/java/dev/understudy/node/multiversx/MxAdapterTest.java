package dev.understudy.node.multiversx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import dev.understudy.node.Activation;
import dev.understudy.common.HttpJson;
import dev.understudy.common.Json;
import dev.understudy.node.Evidence;
import dev.understudy.node.KeySet;
import dev.understudy.node.NodeException;
import dev.understudy.node.NodeStatus;
import dev.understudy.node.PeriodKeys;
import dev.understudy.node.Systemd;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The multiversx adapter against a real HTTP server answering /node/status and /validator/statistics with the
 * fixtures (src/test/resources/adapters/multiversx), a script standing in for systemctl, and prefs.toml files.
 */
class MxAdapterTest {
    static final long STANDBY = 1_000_000;

    @TempDir
    Path dir;
    Path fixtures = Path.of("src/test/resources/adapters/multiversx").toAbsolutePath();
    Path config;
    HttpServer server;
    final Map<String, byte[]> answers = new ConcurrentHashMap<>();
    String key;

    @BeforeEach
    void node() throws Exception {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", ex -> {
            byte[] body = answers.get(ex.getRequestURI().getPath());
            if (body == null) {
                ex.sendResponseHeaders(404, -1);
            } else {
                ex.sendResponseHeaders(200, body.length);
                ex.getResponseBody().write(body);
            }
            ex.close();
        });
        server.start();
        config = Files.createDirectories(dir.resolve("config"));
        Files.copy(fixtures.resolve("validatorKey.pem"), config.resolve("validatorKey.pem"));
        prefs(0);
        status("node-status-main-eligible.json");
        answers.put("/validator/statistics", Files.readAllBytes(fixtures.resolve("validator-statistics.json")));
        Files.writeString(dir.resolve("active-exit"), "0");
        Path sc = dir.resolve("systemctl");
        Files.writeString(sc, "#!/bin/sh\necho \"$*\" >> " + dir.resolve("systemctl.log") + "\n[ \"$1\" = is-active ] && exit $(cat "
                + dir.resolve("active-exit") + ")\nexit 0\n");
        Files.setPosixFilePermissions(sc, PosixFilePermissions.fromString("rwx------"));
        key = new MxAdapter(null, null, config, STANDBY, 3, "", null, "", 6000).blsKey();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    void prefs(long level) throws Exception {
        String p = Files.readString(fixtures.resolve("prefs.toml")).replace("   RedundancyLevel = 1\n", "   RedundancyLevel = " + level + "\n");
        Files.writeString(config.resolve("prefs.toml"), p);
    }

    void status(String fixture) throws Exception {
        answers.put("/node/status", Files.readAllBytes(fixtures.resolve(fixture)));
    }

    /** The main's status fixture with the node's running redundancy level changed. */
    void runningLevel(long level) throws Exception {
        ObjectNode s = (ObjectNode) Json.MAPPER.readTree(fixtures.resolve("node-status-main-eligible.json").toFile());
        ((ObjectNode) s.get("data").get("metrics")).put("erd_redundancy_level", level).put("erd_peer_type", level == 0 ? "eligible" : "observer");
        answers.put("/node/status", Json.pretty(s));
    }

    /** Statistics with our key's cumulative success and failure counts. */
    void counts(long success, long failure) throws Exception {
        ObjectNode s = (ObjectNode) Json.MAPPER.readTree(fixtures.resolve("validator-statistics.json").toFile());
        ObjectNode k = (ObjectNode) s.get("data").get("statistics").get(key);
        k.put("totalNumLeaderSuccess", 0).put("totalNumValidatorSuccess", success).put("totalNumLeaderFailure", 0)
                .put("totalNumValidatorFailure", failure);
        answers.put("/validator/statistics", Json.pretty(s));
    }

    MxAdapter adapter() {
        String base = "http://127.0.0.1:" + server.getAddress().getPort();
        Duration t = Duration.ofMillis(2000);
        return new MxAdapter(new HttpJson(base, t), new HttpJson(base + "/validator/statistics", t), config, STANDBY, 3, "",
                new Systemd(dir.resolve("systemctl").toString(), t), "multiversx-node", 6000);
    }

    List<String> systemctl() throws Exception {
        Path f = dir.resolve("systemctl.log");
        return Files.exists(f) ? Files.readAllLines(f).stream().filter(l -> !l.startsWith("is-active")).toList() : List.of();
    }

    @Test
    void statusFromNodeStatusAndPrefs() throws Exception {
        NodeStatus s = adapter().status();
        assertTrue(s.synced());
        assertEquals(21412345, s.round());
        assertEquals(1501, s.currentPeriod(), "epochs are the periods");
        assertEquals(1502, s.nextPeriod());
        assertTrue(s.validationEnabled(), "prefs.toml says level 0");
        prefs(STANDBY);
        status("node-status-syncing.json");
        NodeStatus sync = adapter().status();
        assertFalse(sync.synced());
        assertFalse(sync.validationEnabled());

        status("node-status-malformed.json");
        NodeException bad = assertThrows(NodeException.class, () -> adapter().status());
        assertTrue(bad.getMessage().contains("erd_redundancy_is_main_active"), bad.getMessage());
        status("node-status-error.json");
        assertTrue(assertThrows(NodeException.class, () -> adapter().status()).getMessage().contains("'data.metrics' missing"));
        Files.writeString(config.resolve("prefs.toml"), Files.readString(fixtures.resolve("prefs-malformed.toml")));
        status("node-status-main-eligible.json");
        assertTrue(assertThrows(NodeException.class, () -> adapter().status()).getMessage().contains("RedundancyLevel expected a whole number"));
        server.stop(0);
        NodeException down = assertThrows(NodeException.class, () -> adapter().status());
        assertFalse(down.isBadOutput(), "a node that does not answer is unavailable, not malformed");
    }

    @Test
    void signingAtLevelZeroOnlyAndNeverWhenStopped() throws Exception {
        assertTrue(adapter().signing(), "level 0, eligible");
        prefs(STANDBY);
        runningLevel(STANDBY);
        assertFalse(adapter().signing(), "the standby level, advertising an observer key");
        runningLevel(0);
        assertTrue(adapter().signing(), "prefs edited to the standby level, but the node still runs at 0");
        status("node-status-syncing.json");
        assertFalse(adapter().signing(), "syncing as an observer");
        Files.writeString(dir.resolve("active-exit"), "3");
        runningLevel(0);
        assertFalse(adapter().signing(), "stopped");
    }

    @Test
    void evidenceTakesOverOnlyAfterDueRoundsWereMissedWhileWatched() throws Exception {
        MxAdapter a = adapter();
        counts(100, 5);
        Evidence first = a.evidence(3);
        assertTrue(first.signedRecently(), "a first look is doubt");
        assertTrue(first.inCurrentSet());
        assertEquals(-1, first.lastVoteRound());
        counts(100, 7);
        assertTrue(a.evidence(3).signedRecently(), "2 missed due rounds: below the threshold of 3");
        counts(100, 8);
        assertFalse(a.evidence(3).signedRecently(), "3 due rounds missed since we began watching");
        counts(101, 8);
        Evidence signed = a.evidence(3);
        assertTrue(signed.signedRecently());
        assertEquals(21412345, signed.lastVoteRound());
        counts(101, 10);
        assertTrue(a.evidence(3).signedRecently(), "2 missed since the last signature");
        counts(101, 11);
        assertFalse(a.evidence(3).signedRecently());
        counts(50, 2);
        assertTrue(a.evidence(3).signedRecently(), "counters went back (another node answered): watch again");
        assertTrue(adapter().evidence(3).signedRecently(), "a fresh adapter (the CLI, a restarted agent) never says 'silent'");

        answers.put("/validator/statistics", Files.readAllBytes(fixtures.resolve("validator-statistics-malformed.json")));
        NodeException bad = assertThrows(NodeException.class, () -> a.evidence(3));
        assertTrue(bad.getMessage().contains("field 'totalNumValidatorFailure'"), bad.getMessage());
        answers.put("/validator/statistics", "{\"data\": {\"statistics\": {}}, \"error\": \"\"}".getBytes(StandardCharsets.UTF_8));
        assertTrue(assertThrows(NodeException.class, () -> a.evidence(3)).getMessage().contains("is not in data.statistics"));
    }

    @Test
    void keyFilesAndInstallCarryValidatorKeyPem() throws Exception {
        KeySet k = adapter().keyFiles();
        assertEquals(1, k.files().size());
        assertEquals("validatorKey.pem", k.files().get(0).path());
        assertEquals(0600, k.files().get(0).mode());
        assertEquals(List.of(new PeriodKeys(1501, List.of(key)), new PeriodKeys(1502, List.of(key))), k.periods());

        Path bundle = Files.createDirectories(dir.resolve("bundle"));
        Files.write(bundle.resolve("validatorKey.pem"), k.files().get(0).content());
        Files.delete(config.resolve("validatorKey.pem"));
        adapter().install(bundle);
        assertEquals(Files.readString(fixtures.resolve("validatorKey.pem")), Files.readString(config.resolve("validatorKey.pem")));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(config.resolve("validatorKey.pem"))));

        Files.writeString(bundle.resolve("validatorKey.pem"), "not a key\n");
        NodeException e = assertThrows(NodeException.class, () -> adapter().install(bundle));
        assertTrue(e.getMessage().contains("bundle validatorKey.pem: no '-----BEGIN PRIVATE KEY for"), e.getMessage());
        assertTrue(Files.readString(config.resolve("validatorKey.pem")).contains(key), "the installed key stays");
    }

    @Test
    void activateAndDeactivateSwitchTheLevelAroundARestart() throws Exception {
        prefs(STANDBY);
        runningLevel(STANDBY);
        String before = Files.readString(config.resolve("prefs.toml"));
        adapter().activate(Activation.unfenced(true));
        assertEquals(List.of("stop multiversx-node", "start multiversx-node"), systemctl());
        String after = Files.readString(config.resolve("prefs.toml"));
        assertEquals(before.replace("RedundancyLevel = " + STANDBY + "\n", "RedundancyLevel = 0\n"), after, "only that line changed");
        runningLevel(0);
        adapter().activate(Activation.unfenced(true));
        assertEquals(2, systemctl().size(), "already at level 0: nothing to do");

        adapter().deactivate();
        assertEquals(List.of("stop multiversx-node", "start multiversx-node", "stop multiversx-node", "start multiversx-node"), systemctl());
        assertEquals(STANDBY, MxPrefs.redundancyLevel(Files.readString(config.resolve("prefs.toml")), "prefs"));
        runningLevel(STANDBY);
        adapter().deactivate();
        assertEquals(4, systemctl().size(), "already a standby: nothing to do");
    }

    @Test
    void theGuardsStandbyStartSetsTheStandbyLevel() throws Exception {
        assertTrue(adapter().prepareStandbyStart());
        assertEquals(STANDBY, MxPrefs.redundancyLevel(Files.readString(config.resolve("prefs.toml")), "prefs"));
        assertEquals(List.of(), systemctl());
    }
}
