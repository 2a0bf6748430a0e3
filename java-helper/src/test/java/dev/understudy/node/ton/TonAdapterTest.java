package dev.understudy.node.ton;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.understudy.node.Activation;
import dev.understudy.node.ElectionFiles;
import dev.understudy.node.Evidence;
import dev.understudy.node.KeyFile;
import dev.understudy.node.KeySet;
import dev.understudy.node.NodeException;
import dev.understudy.node.NodeStatus;
import dev.understudy.node.PeriodKeys;
import dev.understudy.node.Program;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ton adapter against real processes standing in for the validator console, the lite client, systemctl and
 * the evidence command: each prints a fixture (src/test/resources/adapters/ton) and records how it was called.
 */
class TonAdapterTest {
    /** "Now" of the fixtures: the third config.json entry's period has begun, the second has not expired. */
    static final long NOW = 1795300123L;
    static final String ENTRY2 = "WSeMjCEFA8z4uaYahr/vI2/83zHT3zYHQDZKgD3DllM=";
    static final String ADNL2 = "Qotr1SEP6L1a5XWpldDnhGvT6uCAIYgmhoIE33DGLps=";
    static final String ENTRY3 = "AcbMJiwkeZ65Ho4PU66Eh457yMYb4o8OPzBGCsUZgXM=";
    static final String ADNL3 = "jwfC5OkQcVOc+YGbgzOxRnOCiM56gfE/soXg4PHtQuw=";

    @TempDir
    Path dir;
    /** The adapter's election_files (none unless a test lists some). */
    List<Path> electionFiles = List.of();
    Path fixtures = Path.of("src/test/resources/adapters/ton").toAbsolutePath();
    Path commandFixtures = Path.of("src/test/resources/adapters/command").toAbsolutePath();
    Path db;
    Path state;

    static String hex(String b64) throws NodeException {
        return dev.understudy.node.KeyIds.hex(b64, "test");
    }

    Path script(String name, String body) throws Exception {
        Path f = dir.resolve(name);
        Files.writeString(f, "#!/bin/sh\nD=" + dir + "\nF=" + fixtures + "\n" + body + "\n");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rwx------"));
        return f;
    }

    @BeforeEach
    void node() throws Exception {
        db = Files.createDirectories(dir.resolve("db"));
        state = Files.createDirectories(dir.resolve("state"));
        Files.createDirectories(db.resolve("keyring"));
        Files.copy(fixtures.resolve("config.json"), db.resolve("config.json"));
        for (String id : List.of(ENTRY2, ADNL2, ENTRY3, ADNL3)) {
            Files.write(db.resolve("keyring").resolve(hex(id)), ("key " + id).getBytes());
        }
        Files.copy(fixtures.resolve("getstats-synced-validating.txt"), dir.resolve("getstats.txt"));
        Files.writeString(dir.resolve("p34"), "getconfig34.txt");
        Files.writeString(dir.resolve("active-exit"), "0");
        Files.writeString(dir.resolve("console-mode"), "ok");
        // the console: getstats prints getstats.txt; add* answer success (or hang, or an error) and are logged
        script("console", """
                echo "$*" >> $D/console.log
                mode=$(cat $D/console-mode)
                [ "$mode" = hang ] && exec sleep 30
                for a; do cmd=$a; done
                case "$cmd" in
                  getstats) cat $D/getstats.txt ;;
                  add*) if [ "$mode" = refuse ]; then echo "error: [Error : 0 : duplicate key]"; else echo success; fi ;;
                  *) echo "unknown command $cmd" >&2; exit 2 ;;
                esac""");
        Files.writeString(dir.resolve("creators"), "recentcreatorstats.txt");
        script("lite-client", """
                case "$2" in
                  "getconfig 34") cat $F/$(cat $D/p34) ;;
                  "getconfig 36") cat $F/getconfig36-none.txt ;;
                  recentcreatorstats*) echo "$2" >> $D/lite-client.log; cat $F/$(cat $D/creators) ;;
                  *) exit 2 ;;
                esac""");
        script("systemctl", """
                echo "$*" >> $D/systemctl.log
                [ "$1" = is-active ] && exit $(cat $D/active-exit)
                exit 0""");
        script("evidence", "echo \"$*\" > $D/evidence.args; cat " + commandFixtures.resolve("evidence-signing.json"));
    }

    TonAdapter adapter(Path dbDir, Path stateDir, long timeoutMs) {
        Duration t = Duration.ofMillis(timeoutMs);
        return adapter(dbDir, stateDir, new Program("ton evidence", List.of(dir.resolve("evidence").toString(), "--rounds", "{rounds}"),
                t, Map.of()), t);
    }

    /** {@code evidence} null: the chain's view from the lite client's creator statistics. */
    TonAdapter adapter(Path dbDir, Path stateDir, Program evidence, Duration t) {
        return new TonAdapter(new Program("ton console", List.of(dir.resolve("console").toString(), "-k", "client"), t, Map.of()),
                new Program("ton lite client", List.of(dir.resolve("lite-client").toString()), t, Map.of()), evidence,
                dbDir, stateDir.resolve("ton-replay.json"), "", dir.resolve("systemctl").toString(), "validator", "mytoncore", t, 20,
                5000, 10, new ElectionFiles(electionFiles, "node.ton.election_files"), () -> NOW);
    }

    TonAdapter adapter() {
        return adapter(db, state, 5000);
    }

    List<String> log(String name) throws Exception {
        Path f = dir.resolve(name);
        return Files.exists(f) ? Files.readAllLines(f) : List.of();
    }

    @Test
    void statusFromGetstatsAndTheValidatorSets() throws Exception {
        NodeStatus s = adapter().status();
        assertTrue(s.synced());
        assertEquals(0, s.lagRounds(), "2 s out of sync, 5 s blocks");
        assertEquals(45123456, s.round());
        assertEquals(1795299072, s.currentPeriod(), "utime_since of config param 34");
        assertEquals(-1, s.nextPeriod(), "no next set yet");
        assertTrue(s.validationEnabled(), "config.json has the current period's entry");
        assertTrue(s.detail().contains("ADNL in the current set"), s.detail());
        assertEquals(List.of("-k client --cmd getstats"), log("console.log"));

        Files.writeString(dir.resolve("p34"), "getconfig34-without-us.txt");
        Files.copy(fixtures.resolve("getstats-lagging.txt"), dir.resolve("getstats.txt"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        NodeStatus lag = adapter().status();
        assertFalse(lag.synced());
        assertEquals(3436 * 1000 / 5000, lag.lagRounds(), "3436 masterchain blocks behind, as 5 s blocks");
        assertFalse(lag.detail().contains("ADNL in the current set"), lag.detail());
    }

    @Test
    void malformedAnswersNameTheFieldAndTheSource() throws Exception {
        Files.copy(fixtures.resolve("getstats-malformed.txt"), dir.resolve("getstats.txt"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        NodeException stats = assertThrows(NodeException.class, () -> adapter().status());
        assertTrue(stats.isBadOutput());
        assertTrue(stats.getMessage().contains("console") && stats.getMessage().contains("getstats: field 'masterchainblocktime'"),
                stats.getMessage());

        Files.copy(fixtures.resolve("getstats-synced-validating.txt"), dir.resolve("getstats.txt"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.writeString(dir.resolve("p34"), "getconfig34-malformed.txt");
        NodeException set = assertThrows(NodeException.class, () -> adapter().status());
        assertTrue(set.getMessage().contains("getconfig 34: ConfigParam(34) has no utime_since"), set.getMessage());

        Files.copy(fixtures.resolve("config-malformed.json"), db.resolve("config.json"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        NodeException cfg = assertThrows(NodeException.class, () -> adapter().keyFiles());
        assertTrue(cfg.getMessage().contains("config.json: validators[2].id: not base64"), cfg.getMessage());
    }

    @Test
    void aHungConsoleIsAnErrorAtTheTimeout() throws Exception {
        Files.writeString(dir.resolve("console-mode"), "hang");
        long t0 = System.nanoTime();
        NodeException e = assertThrows(NodeException.class, () -> adapter(db, state, 500).status());
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertFalse(e.isBadOutput());
        assertTrue(e.getMessage().startsWith("ton console: "), e.getMessage());
        assertTrue(ms < 5000, "killed at the timeout, took " + ms + " ms");
    }

    @Test
    void signingIsTheLocalViewAndAStoppedEngineSignsNothing() throws Exception {
        TonAdapter a = adapter();
        assertTrue(a.signing(), "validator groups active");
        Files.writeString(dir.resolve("active-exit"), "3");
        assertFalse(a.signing(), "service inactive");
        assertEquals(1, log("console.log").size(), "no console call for a stopped engine");

        Files.writeString(dir.resolve("active-exit"), "0");
        String standby = Files.readString(fixtures.resolve("getstats-synced-standby.txt"));
        Files.writeString(dir.resolve("getstats.txt"), standby);
        assertFalse(a.signing(), "no groups, no counter seen before");
        Files.writeString(dir.resolve("getstats.txt"), standby.replace("validated_blocks.master\t\t\tok:0", "validated_blocks.master\t\t\tok:7"));
        assertTrue(a.signing(), "the validated-block counter rose");
        assertFalse(a.signing(), "and then stayed");

        Files.writeString(dir.resolve("active-exit"), "1");
        NodeException e = assertThrows(NodeException.class, a::signing);
        assertTrue(e.getMessage().contains("is-active validator exited 1"), e.getMessage());
    }

    @Test
    void evidenceComesFromTheOperatorsCommand() throws Exception {
        Evidence e = adapter().evidence(4);
        assertEquals(List.of("--rounds 4"), log("evidence.args"));
        assertTrue(e.signedRecently());
        assertEquals(4, e.windowRounds());

        script("evidence", "echo '{\"signed_recently\": \"yes\"}'");
        NodeException bad = assertThrows(NodeException.class, () -> adapter().evidence(4));
        assertTrue(bad.getMessage().contains("ton evidence (" + dir.resolve("evidence") + "): field 'signed_recently'"), bad.getMessage());
        script("evidence", "echo down >&2; exit 7");
        NodeException down = assertThrows(NodeException.class, () -> adapter().evidence(4));
        assertTrue(down.getMessage().contains("exited 7: down"), down.getMessage());
    }

    /**
     * Without an evidence command the lite client's creator statistics answer, as of the newest masterchain block
     * it printed: the key of this host's entry (the current set's ADNL A09F…'s public key) created a block 3 s ago
     * and counts as signing; quiet for 300 s, while a member creates one every 17 s or so, it counts as silent.
     */
    @Test
    void withoutACommandTheEvidenceComesFromTheCreatorStatistics() throws Exception {
        TonAdapter a = adapter(db, state, null, Duration.ofSeconds(5));
        Evidence e = a.evidence(3);
        assertTrue(e.signedRecently());
        assertTrue(e.inCurrentSet());
        assertFalse(e.inNextSet(), "no next set, and no entry after the current set's election");
        assertEquals(45123456, e.chainRound());
        assertEquals(5000, e.roundMs());
        assertEquals(List.of("recentcreatorstats (-1,8000000000000000,45123456):52F22665A60C12D289185D950EE8813609166F6B113D178D6C0FD3901FF239A1"
                + ":A095F20F9395650CF9380B8EDB224A6B248A1E924E8FD0AE2E1A9492A3305F18 " + (1795300121L - TonChainEvidence.LOOKBACK_S)),
                log("lite-client.log"), "the statistics of the block the set came from, for the look-back");

        Files.writeString(dir.resolve("creators"), "recentcreatorstats-quiet.txt");
        Evidence quiet = a.evidence(3);
        assertFalse(quiet.signedRecently());
        assertEquals(45123456 - 300 / 5, quiet.lastVoteRound(), "the last block created 300 s before the head, as 5 s rounds");

        Files.writeString(dir.resolve("creators"), "recentcreatorstats-without-us.txt");
        assertFalse(a.evidence(3).signedRecently(), "no block created in the 1049 s since the set began");

        Files.writeString(dir.resolve("p34"), "getconfig34-without-us.txt");
        Evidence out = a.evidence(3);
        assertFalse(out.inCurrentSet());
        assertFalse(out.signedRecently(), "a key outside the current set has no group to sign in");
    }

    /**
     * The monitor holds no entries: it judges the key by the ADNL addresses the agents publish (a holder's
     * {@code chainIds()}, in its status), and with none published, or only junk, it cannot tell.
     */
    @Test
    void theMonitorJudgesTheKeyByTheAdnlAddressesTheAgentsPublished() throws Exception {
        List<String> published = adapter(db, state, null, Duration.ofSeconds(5)).chainIds();
        assertFalse(published.isEmpty());
        assertTrue(published.stream().allMatch(i -> i.matches("[0-9A-F]{64}")), published.toString());
        Path bare = Files.createDirectories(dir.resolve("monitor"));
        TonAdapter monitor = adapter(bare.resolve("db"), bare, null, Duration.ofSeconds(5));
        assertEquals(List.of(), monitor.chainIds());
        Evidence e = monitor.evidence(3, published.stream().map(String::toLowerCase).collect(java.util.stream.Collectors.toSet()));
        assertTrue(e.inCurrentSet() && e.signedRecently(), e.toString());
        for (java.util.Set<String> junk : List.of(java.util.Set.<String>of(), java.util.Set.of("not-an-adnl", "A09F"))) {
            NodeException none = assertThrows(NodeException.class, () -> monitor.evidence(3, junk));
            assertTrue(none.getMessage().contains("no ADNL address published by an agent"), none.getMessage());
        }
    }

    /** The monitor's TON section needs only the lite client; a main's or backup's without a console is refused by name. */
    @Test
    void onlyTheMonitorMayLeaveTheConsoleOut() throws Exception {
        com.fasterxml.jackson.databind.JsonNode tree = dev.understudy.common.Json.MAPPER.readTree(
                "{\"node\": {\"ton\": {\"lite_client\": [\"/usr/bin/ton/lite-client/lite-client\", \"-a\", \"127.0.0.1:4924\"]}}}");
        TonAdapter monitor = TonAdapter.fromConfig("val1", state, tonSection(tree), true);
        NodeException noConsole = assertThrows(NodeException.class, monitor::status);
        assertTrue(noConsole.getMessage().contains("node.ton.console is not configured"), noConsole.getMessage());
        dev.understudy.cli.BadInputException refused = assertThrows(dev.understudy.cli.BadInputException.class,
                () -> TonAdapter.fromConfig("val1", state, tonSection(tree), false));
        assertTrue(refused.getMessage().contains("node.ton.console: is required"), refused.getMessage());
    }

    private static dev.understudy.config.Section tonSection(com.fasterxml.jackson.databind.JsonNode tree) throws Exception {
        return dev.understudy.config.Section.root("understudy.yml", tree).section("node").section("ton");
    }

    /** A standby keeps its entries in the replay plan; a host with none (the monitor) cannot tell which key is its own. */
    @Test
    void theCreatorStatisticsJudgeTheStandbysPlannedKeyAndRefuseWithoutOne() throws Exception {
        Files.writeString(dir.resolve("creators"), "recentcreatorstats-quiet.txt");
        TonAdapter a = adapter(db, state, null, Duration.ofSeconds(5));
        a.prepareStandbyStart();
        Evidence e = a.evidence(3);
        assertTrue(e.inCurrentSet(), "the key from the replay plan");
        assertFalse(e.signedRecently());

        Path bare = Files.createDirectories(dir.resolve("bare"));
        NodeException none = assertThrows(NodeException.class, () -> adapter(bare.resolve("db"), bare, null, Duration.ofSeconds(5)).evidence(3));
        assertTrue(none.getMessage().contains("no unexpired validator entry on this host"), none.getMessage());

        for (String broken : List.of("recentcreatorstats-incomplete.txt", "recentcreatorstats-malformed.txt")) {
            Files.writeString(dir.resolve("creators"), broken);
            NodeException bad = assertThrows(NodeException.class, () -> a.evidence(3), broken);
            assertTrue(bad.isBadOutput() && bad.getMessage().startsWith("ton lite client (" + dir.resolve("lite-client") + ") recentcreatorstats: "),
                    bad.getMessage());
        }
    }

    @Test
    void keyFilesAreConfigJsonAndTheUnexpiredEntriesKeyringFiles() throws Exception {
        KeySet k = adapter().keyFiles();
        List<String> paths = k.files().stream().map(KeyFile::path).toList();
        assertEquals(List.of("config.json", "keyring/" + hex(ENTRY2), "keyring/" + hex(ADNL2), "keyring/" + hex(ENTRY3), "keyring/" + hex(ADNL3)),
                paths, "the expired first entry's keys stay behind; temp key = permanent key is listed once");
        assertTrue(k.files().stream().allMatch(f -> f.mode() == 0600));
        assertEquals(List.of(new PeriodKeys(1795233536, List.of(hex(ENTRY2))), new PeriodKeys(1795299072, List.of(hex(ENTRY3)))), k.periods());

        Files.delete(db.resolve("keyring").resolve(hex(ADNL3)));
        NodeException e = assertThrows(NodeException.class, () -> adapter().keyFiles());
        assertTrue(e.getMessage().contains("names key " + hex(ADNL3) + " (election 1795299072)"), e.getMessage());
    }

    /** A standby: its engine has no validator entries until it holds the role. */
    Path standbyDb() throws Exception {
        Path s = Files.createDirectories(dir.resolve("standby/db/keyring"));
        Files.writeString(s.getParent().resolve("config.json"), "{\"@type\": \"engine.validator.config\", \"validators\": []}");
        return s.getParent();
    }

    /** The bundle as sync push delivers it: the files of keyFiles() at their paths. */
    Path bundle() throws Exception {
        Path b = Files.createDirectories(dir.resolve("bundle"));
        for (KeyFile f : adapter().keyFiles().files()) {
            Path p = b.resolve(f.path());
            Files.createDirectories(p.getParent());
            Files.write(p, f.content());
        }
        return b;
    }

    @Test
    void installStagesAndOnlyActivateReplaysTheConsoleCommands() throws Exception {
        Path sdb = standbyDb();
        Path sstate = Files.createDirectories(dir.resolve("standby/state"));
        TonAdapter standby = adapter(sdb, sstate, 5000);
        standby.install(bundle());
        for (String id : List.of(ENTRY2, ADNL2, ENTRY3, ADNL3)) {
            Path f = sdb.resolve("keyring").resolve(hex(id));
            assertEquals("key " + id, Files.readString(f));
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)));
        }
        assertTrue(Files.readString(sdb.resolve("config.json")).contains("\"validators\": []"), "install leaves config.json alone");
        assertEquals(List.of(), log("console.log"), "install talks to no console");

        standby.activate(Activation.unfenced(true));
        assertEquals(List.of(
                "-k client --cmd addpermkey " + hex(ENTRY2) + " 1795233536 1795307264",
                "-k client --cmd addtempkey " + hex(ENTRY2) + " " + hex(ENTRY2) + " 1795307264",
                "-k client --cmd addadnl " + hex(ADNL2) + " 0",
                "-k client --cmd addvalidatoraddr " + hex(ENTRY2) + " " + hex(ADNL2) + " 1795307264",
                "-k client --cmd addpermkey " + hex(ENTRY3) + " 1795299072 1795372800",
                "-k client --cmd addtempkey " + hex(ENTRY3) + " " + hex(ENTRY3) + " 1795372800",
                "-k client --cmd addadnl " + hex(ADNL3) + " 0",
                "-k client --cmd addvalidatoraddr " + hex(ENTRY3) + " " + hex(ADNL3) + " 1795372800"), log("console.log"));
        assertEquals(List.of("start mytoncore"), log("systemctl.log"));

        // the engine wrote the entries into its config.json: a second activate replays nothing
        Files.copy(fixtures.resolve("config.json"), sdb.resolve("config.json"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.delete(dir.resolve("console.log"));
        standby.activate(Activation.unfenced(false));
        assertEquals(List.of(), log("console.log"));
        assertEquals(List.of("start mytoncore", "stop mytoncore"), log("systemctl.log"));
    }

    /**
     * The wallet mytoncore bids with travels as election files and a standby writes it back to its own configured
     * path; a standby without the directory or a bundle without a listed file is refused before anything is planned,
     * and a listed file that is a link fails the push on the main.
     */
    @Test
    void theWalletTravelsAsElectionFilesAndIsWrittenBackToItsPath() throws Exception {
        Path mainWallets = Files.createDirectories(dir.resolve("main/wallets"));
        Files.writeString(mainWallets.resolve("validator_wallet_001.pk"), "wallet key");
        Files.writeString(mainWallets.resolve("validator_wallet_001.addr"), "wallet addr");
        electionFiles = List.of(mainWallets.resolve("validator_wallet_001.pk"), mainWallets.resolve("validator_wallet_001.addr"));
        List<String> paths = adapter().keyFiles().files().stream().map(KeyFile::path).toList();
        assertTrue(paths.containsAll(List.of("election/validator_wallet_001.pk", "election/validator_wallet_001.addr")), paths.toString());
        Path b = bundle();

        Path standbyWallets = dir.resolve("standby-home/wallets");
        electionFiles = List.of(standbyWallets.resolve("validator_wallet_001.pk"), standbyWallets.resolve("validator_wallet_001.addr"));
        Path sstate = Files.createDirectories(dir.resolve("standby/state"));
        TonAdapter standby = adapter(standbyDb(), sstate, 5000);
        NodeException noDir = assertThrows(NodeException.class, () -> standby.install(b));
        assertTrue(noDir.getMessage().contains(standbyWallets + " does not exist"), noDir.getMessage());
        assertFalse(Files.exists(sstate.resolve("ton-replay.json")), "nothing planned");
        Files.createDirectories(standbyWallets);
        standby.install(b);
        assertEquals("wallet key", Files.readString(standbyWallets.resolve("validator_wallet_001.pk")));
        assertEquals("wallet addr", Files.readString(standbyWallets.resolve("validator_wallet_001.addr")));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(standbyWallets.resolve("validator_wallet_001.pk"))));

        electionFiles = List.of(standbyWallets.resolve("validator_wallet_001.pk"), standbyWallets.resolve("other.pk"));
        NodeException missing = assertThrows(NodeException.class, () -> adapter(standbyDb(), sstate, 5000).install(b));
        assertTrue(missing.getMessage().contains("bundle: election/other.pk missing"), missing.getMessage());

        Files.delete(mainWallets.resolve("validator_wallet_001.addr"));
        Files.createSymbolicLink(mainWallets.resolve("validator_wallet_001.addr"), Path.of("/etc/hostname"));
        electionFiles = List.of(mainWallets.resolve("validator_wallet_001.addr"));
        NodeException link = assertThrows(NodeException.class, () -> adapter().keyFiles());
        assertTrue(link.getMessage().contains("which is not a regular file"), link.getMessage());
    }

    @Test
    void aBundleMissingAKeyringFileIsRefusedBeforeAnythingIsPlanned() throws Exception {
        Path b = bundle();
        Files.delete(b.resolve("keyring").resolve(hex(ADNL3)));
        Path sstate = Files.createDirectories(dir.resolve("standby/state"));
        NodeException e = assertThrows(NodeException.class, () -> adapter(standbyDb(), sstate, 5000).install(b));
        assertTrue(e.isBadOutput());
        assertTrue(e.getMessage().contains("keyring/" + hex(ADNL3) + " missing (named by config.json's entry of election 1795299072)"),
                e.getMessage());
        assertFalse(Files.exists(sstate.resolve("ton-replay.json")), "no plan from a broken bundle");
    }

    @Test
    void aConsoleCommandWithoutSuccessFailsActivation() throws Exception {
        Path sstate = Files.createDirectories(dir.resolve("standby/state"));
        TonAdapter standby = adapter(standbyDb(), sstate, 5000);
        standby.install(bundle());
        Files.writeString(dir.resolve("console-mode"), "refuse");
        NodeException e = assertThrows(NodeException.class, () -> standby.activate(Activation.unfenced(true)));
        assertTrue(e.getMessage().contains("addpermkey: no 'success' in the answer: error: [Error : 0 : duplicate key]"), e.getMessage());
        assertEquals(List.of(), log("systemctl.log"), "no election service for a half-activated engine");
    }

    @Test
    void deactivateStopsTheEngineMovesItsEntriesAsideAndStartsItAsAFullNode() throws Exception {
        TonAdapter a = adapter();
        a.deactivate();
        assertEquals(List.of("stop mytoncore", "stop validator", "start validator"), log("systemctl.log"));
        assertTrue(Files.readString(db.resolve("config.json")).contains("\"validators\" : [ ]"), Files.readString(db.resolve("config.json")));
        assertTrue(Files.readString(db.resolve("config.json.understudy-before-standby")).contains(ENTRY3));
        assertTrue(Files.readString(db.resolve("config.json")).contains("\"control\""), "the rest of config.json is kept");
        assertFalse(a.status().validationEnabled());

        a.deactivate();
        assertEquals(List.of("stop mytoncore", "stop validator", "start validator", "stop mytoncore"), log("systemctl.log"),
                "nothing to stop the second time");

        // holding the role again: the entries come back from the plan
        a.activate(Activation.unfenced(true));
        assertEquals(8, log("console.log").stream().filter(l -> l.contains("--cmd add")).count());
    }

    @Test
    void theGuardsStandbyStartMovesTheEntriesAside() throws Exception {
        TonAdapter a = adapter();
        assertTrue(a.prepareStandbyStart());
        assertTrue(Files.readString(db.resolve("config.json")).contains("\"validators\" : [ ]"));
        assertTrue(Files.readString(state.resolve("ton-replay.json")).contains(hex(ENTRY3)));
        assertEquals(List.of(), log("systemctl.log"), "the guard runs before the start; it starts nothing itself");
        assertTrue(a.prepareStandbyStart(), "and again, with nothing left to move");
    }
}
