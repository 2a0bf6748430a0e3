package dev.understudy.node.everscale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.understudy.node.Activation;
import dev.understudy.node.ElectionFiles;
import dev.understudy.common.Json;
import dev.understudy.node.KeyFile;
import dev.understudy.node.KeySet;
import dev.understudy.node.NodeException;
import dev.understudy.node.NodeStatus;
import dev.understudy.node.PeriodKeys;
import dev.understudy.node.Program;
import dev.understudy.node.Systemd;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The everscale adapter against real processes standing in for ever-node's console, systemctl and the evidence
 * command (src/test/resources/adapters/everscale), and config.json files it edits.
 */
class EverAdapterTest {
    static final long NOW = 1795300123L;
    static final String KEY3 = "uTUMrqEUDQt/wTMpJPpDLEcxPDG85HOLMOBc6PaeYKw=";
    static final String ADNL3 = "ZI1tug+RJWPtH8Ik1mf7NgMjQKt/pFR0hmJSuFD8J+M=";

    @TempDir
    Path dir;
    /** Each host's election_files (none unless a test lists some). */
    Map<String, List<Path>> electionFiles = new java.util.HashMap<>();
    Path fixtures = Path.of("src/test/resources/adapters/everscale").toAbsolutePath();
    Path commandFixtures = Path.of("src/test/resources/adapters/command").toAbsolutePath();

    void script(String name, String body) throws Exception {
        Path f = dir.resolve(name);
        Files.writeString(f, "#!/bin/sh\nD=" + dir + "\n" + body + "\n");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rwx------"));
    }

    void getstats(String fixture) throws Exception {
        Files.copy(fixtures.resolve(fixture), dir.resolve("getstats.json"), StandardCopyOption.REPLACE_EXISTING);
    }

    @BeforeEach
    void node() throws Exception {
        Files.createDirectories(dir.resolve("main/state"));
        Files.createDirectories(dir.resolve("standby/state"));
        Files.copy(fixtures.resolve("config.json"), dir.resolve("main/config.json"));
        ObjectNode own = (ObjectNode) Json.MAPPER.readTree(fixtures.resolve("config.json").toFile());
        own.putArray("validator_keys");
        own.putObject("validator_key_ring");
        own.put("ip_address", "0.0.0.0:30310");
        Files.write(dir.resolve("standby/config.json"), Json.pretty(own));
        getstats("getstats-synced-active.json");
        Files.writeString(dir.resolve("active-exit"), "0");
        Files.writeString(dir.resolve("console-mode"), "ok");
        script("console", """
                echo "$*" >> $D/console.log
                [ "$(cat $D/console-mode)" = hang ] && exec sleep 30
                case "$*" in *" -j -c getstats") ;; *) echo "usage" >&2; exit 2 ;; esac
                cat $D/getstats.json""");
        script("systemctl", """
                echo "$*" >> $D/systemctl.log
                [ "$1" = is-active ] && exit $(cat $D/active-exit)
                exit 0""");
        script("evidence", "cat " + commandFixtures.resolve("evidence-signing.json"));
    }

    EverAdapter adapter(String host, long timeoutMs) {
        Duration t = Duration.ofMillis(timeoutMs);
        return new EverAdapter(new Program("everscale console", List.of(dir.resolve("console").toString(), "-C", "console.json"), t, Map.of()),
                new Program("everscale evidence", List.of(dir.resolve("evidence").toString(), "{rounds}"), t, Map.of()), null,
                dir.resolve(host + "/config.json"), dir.resolve(host + "/state/everscale-replay.json"), dir.resolve(host + "/stop-election"),
                "", new Systemd(dir.resolve("systemctl").toString(), t), "ever-node", 20, 3000,
                new ElectionFiles(electionFiles.getOrDefault(host, List.of()), "node.everscale.election_files"), () -> NOW);
    }

    EverAdapter main() {
        return adapter("main", 5000);
    }

    List<String> log(String name) throws Exception {
        Path f = dir.resolve(name);
        return Files.exists(f) ? Files.readAllLines(f) : List.of();
    }

    JsonNode json(String path) throws Exception {
        return Json.MAPPER.readTree(dir.resolve(path).toFile());
    }

    @Test
    void statusFromGetstatsAndTheKeysThisHostKnows() throws Exception {
        NodeStatus s = main().status();
        assertTrue(s.synced());
        assertEquals(0, s.lagRounds());
        assertEquals(61234567, s.round(), "masterchainblocknumber");
        assertEquals(1795299072, s.currentPeriod(), "the newest election id that has begun");
        assertEquals(-1, s.nextPeriod(), "no keys for a later election yet");
        assertTrue(s.validationEnabled());
        assertTrue(s.detail().contains("validation Active; in the current set (p34); in the next set (p36)"), s.detail());
        assertEquals(List.of("-C console.json -j -c getstats"), log("console.log"));

        getstats("getstats-lagging.json");
        NodeStatus lag = main().status();
        assertFalse(lag.synced());
        assertEquals(420 * 1000 / 3000, lag.lagRounds());

        NodeStatus standby = adapter("standby", 5000).status();
        assertEquals(-1, standby.currentPeriod(), "a standby without keys knows no period");
        assertFalse(standby.validationEnabled());
    }

    @Test
    void malformedAndHungConsoles() throws Exception {
        getstats("getstats-malformed.json");
        NodeException bad = assertThrows(NodeException.class, () -> main().status());
        assertTrue(bad.isBadOutput());
        assertTrue(bad.getMessage().contains("getstats: field 'validation_status' expected one of"), bad.getMessage());

        Files.writeString(dir.resolve("console-mode"), "hang");
        long t0 = System.nanoTime();
        NodeException hung = assertThrows(NodeException.class, () -> adapter("main", 500).signing());
        assertFalse(hung.isBadOutput());
        assertTrue((System.nanoTime() - t0) / 1_000_000 < 5000);
        assertTrue(hung.getMessage().startsWith("everscale console: "), hung.getMessage());
    }

    @Test
    void signingIsActiveOrCountdownOnARunningNode() throws Exception {
        assertTrue(main().signing());
        getstats("getstats-synced-standby.json");
        assertFalse(main().signing());
        String countdown = Files.readString(fixtures.resolve("getstats-synced-active.json")).replace("\"Active\"", "\"Countdown\"");
        Files.writeString(dir.resolve("getstats.json"), countdown);
        assertTrue(main().signing(), "Countdown: it will sign without anything more being done");
        Files.writeString(dir.resolve("active-exit"), "3");
        assertFalse(main().signing(), "a stopped node signs nothing");
    }

    @Test
    void evidenceComesFromTheOperatorsCommand() throws Exception {
        assertTrue(main().evidence(3).signedRecently());
        script("evidence", "echo '[]'");
        NodeException e = assertThrows(NodeException.class, () -> main().evidence(3));
        assertTrue(e.getMessage().contains("everscale evidence"), e.getMessage());
    }

    @Test
    void theBundleCarriesOnlyTheCurrentAndNextKeysNotTheNodesIdentity() throws Exception {
        KeySet k = main().keyFiles();
        assertEquals(1, k.files().size());
        KeyFile f = k.files().get(0);
        assertEquals("validator-keys.json", f.path());
        assertEquals(0600, f.mode());
        JsonNode b = Json.MAPPER.readTree(f.content());
        assertEquals(1, b.get("validator_keys").size());
        assertEquals(KEY3, b.get("validator_keys").get(0).get("validator_key_id").asText());
        assertEquals(2, b.get("validator_key_ring").size());
        assertTrue(b.get("validator_key_ring").has(KEY3) && b.get("validator_key_ring").has(ADNL3));
        assertFalse(b.has("adnl_node") || b.has("control_server"), "the node's own identity stays home");
        assertEquals(List.of(new PeriodKeys(1795299072, List.of(KEY3))), k.periods());

        Files.copy(fixtures.resolve("config-missing-ring-key.json"), dir.resolve("main/config.json"), StandardCopyOption.REPLACE_EXISTING);
        NodeException e = assertThrows(NodeException.class, () -> main().keyFiles());
        assertTrue(e.getMessage().contains("validator_keys[2]: key " + ADNL3 + " is not in validator_key_ring"), e.getMessage());
    }

    Path bundle() throws Exception {
        Path b = Files.createDirectories(dir.resolve("bundle"));
        for (KeyFile f : main().keyFiles().files()) {
            Files.createDirectories(b.resolve(f.path()).getParent());
            Files.write(b.resolve(f.path()), f.content());
        }
        return b;
    }

    @Test
    void installRecordsTheKeysAndActivateWritesThemIntoConfigJsonAroundARestart() throws Exception {
        EverAdapter standby = adapter("standby", 5000);
        byte[] before = Files.readAllBytes(dir.resolve("standby/config.json"));
        standby.install(bundle());
        assertEquals(new String(before), Files.readString(dir.resolve("standby/config.json")), "install leaves config.json alone");
        assertEquals(List.of(), log("systemctl.log"));
        assertEquals(1795299072, standby.status().currentPeriod(), "the planned keys name the period");
        assertFalse(standby.status().validationEnabled());

        Files.writeString(dir.resolve("standby/stop-election"), "");
        standby.activate(Activation.unfenced(true));
        assertEquals(List.of("stop ever-node", "start ever-node"), log("systemctl.log"));
        JsonNode cfg = json("standby/config.json");
        assertEquals(KEY3, cfg.get("validator_keys").get(0).get("validator_key_id").asText());
        assertTrue(cfg.get("validator_key_ring").has(KEY3) && cfg.get("validator_key_ring").has(ADNL3));
        assertEquals("0.0.0.0:30310", cfg.get("ip_address").asText(), "the standby's own settings are kept");
        assertFalse(Files.exists(dir.resolve("standby/stop-election")), "election duty: the stop file is gone");
        assertTrue(standby.status().validationEnabled());

        standby.activate(Activation.unfenced(false));
        assertEquals(2, log("systemctl.log").size(), "the keys are in: no second restart");
        assertTrue(Files.exists(dir.resolve("standby/stop-election")), "no election duty: the scripts stop bidding");
    }

    /** The election scripts' wallet travels with the keys; a standby without the listed file's directory refuses the bundle. */
    @Test
    void theWalletTravelsAsElectionFiles() throws Exception {
        Path mainWallet = Files.createDirectories(dir.resolve("main/ton-keys")).resolve("msig.keys.json");
        Files.writeString(mainWallet, "{\"public\": \"…\", \"secret\": \"…\"}");
        electionFiles.put("main", List.of(mainWallet));
        Path standbyWallet = dir.resolve("standby/ton-keys/msig.keys.json");
        electionFiles.put("standby", List.of(standbyWallet));
        Path b = bundle();
        assertTrue(Files.exists(b.resolve("election/msig.keys.json")));
        NodeException noDir = assertThrows(NodeException.class, () -> adapter("standby", 5000).install(b));
        assertTrue(noDir.getMessage().contains("(node.everscale.election_files names " + standbyWallet), noDir.getMessage());
        assertFalse(Files.exists(dir.resolve("standby/state/everscale-replay.json")), "nothing planned");
        Files.createDirectories(standbyWallet.getParent());
        adapter("standby", 5000).install(b);
        assertEquals(Files.readString(mainWallet), Files.readString(standbyWallet));
        assertTrue(Files.exists(dir.resolve("standby/state/everscale-replay.json")));
    }

    @Test
    void aBundleWithAKeyMissingFromTheRingIsRefused() throws Exception {
        Path b = Files.createDirectories(dir.resolve("bundle"));
        ObjectNode keys = (ObjectNode) Json.MAPPER.readTree(fixtures.resolve("config-missing-ring-key.json").toFile());
        Files.write(b.resolve("validator-keys.json"), Json.pretty(keys));
        NodeException e = assertThrows(NodeException.class, () -> adapter("standby", 5000).install(b));
        assertTrue(e.getMessage().contains("bundle validator-keys.json: validator_keys[2]: key " + ADNL3 + " is not in validator_key_ring"),
                e.getMessage());
        assertFalse(Files.exists(dir.resolve("standby/state/everscale-replay.json")));
    }

    @Test
    void deactivateStopsBiddingAndMovesTheKeysOutAroundARestart() throws Exception {
        EverAdapter a = main();
        a.deactivate();
        assertTrue(Files.exists(dir.resolve("main/stop-election")));
        assertEquals(List.of("stop ever-node", "start ever-node"), log("systemctl.log"));
        JsonNode cfg = json("main/config.json");
        assertEquals(0, cfg.get("validator_keys").size());
        assertFalse(cfg.get("validator_key_ring").has(KEY3), "the private keys leave config.json too");
        assertTrue(cfg.has("adnl_node") && cfg.has("control_server"));
        assertTrue(json("main/config.json.understudy-previous").get("validator_key_ring").has(KEY3));
        assertTrue(json("main/state/everscale-replay.json").get("validator_key_ring").has(KEY3));

        a.deactivate();
        assertEquals(2, log("systemctl.log").size(), "nothing to move the second time");
        a.activate(Activation.unfenced(true));
        assertEquals(KEY3, json("main/config.json").get("validator_keys").get(0).get("validator_key_id").asText(), "back from the plan");
    }

    @Test
    void theGuardsStandbyStartMovesTheKeysOut() throws Exception {
        assertTrue(main().prepareStandbyStart());
        assertEquals(0, json("main/config.json").get("validator_keys").size());
        assertEquals(List.of(), log("systemctl.log"));
        assertTrue(main().prepareStandbyStart());
    }
}
