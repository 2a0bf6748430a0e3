package dev.understudy.node.command;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.understudy.node.Activation;
import dev.understudy.cli.BadInputException;
import dev.understudy.common.Json;
import dev.understudy.config.Section;
import dev.understudy.node.Evidence;
import dev.understudy.node.KeySet;
import dev.understudy.node.NodeException;
import dev.understudy.node.NodeStatus;
import dev.understudy.node.Program;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command adapter against real processes: fixture outputs, exit codes, timeouts, malformed answers. */
class CommandAdapterTest {
    @TempDir
    Path dir;
    Path keyDir;
    Path fixtures = Path.of("src/test/resources/adapters/command").toAbsolutePath();

    @BeforeEach
    void keys() throws Exception {
        keyDir = Files.createDirectories(dir.resolve("node"));
        Files.createDirectories(keyDir.resolve("keyring"));
        Files.write(keyDir.resolve("keyring/5A3F0C"), new byte[] {23, 68, 1, 2});
        Files.writeString(keyDir.resolve("config.json"), "{}");
    }

    /** A script printing SCRIPT (sh) that records its arguments and environment in DIR/NAME.args. */
    String script(String name, String body) throws Exception {
        Path f = dir.resolve(name);
        Files.writeString(f, "#!/bin/sh\necho \"$UNDERSTUDY_OPERATION $UNDERSTUDY_VALIDATOR $*\" > " + dir.resolve(name + ".args") + "\n" + body + "\n");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rwx------"));
        return f.toString();
    }

    CommandAdapter adapter(Map<String, String> bodies, long timeoutMs) throws Exception {
        Map<String, Program> cmds = new LinkedHashMap<>();
        for (String op : CommandAdapter.OPERATIONS) {
            List<String> extra = switch (op) {
                case "evidence" -> List.of("{rounds}");
                case "install" -> List.of("{dir}");
                case "activate" -> List.of("--election-duty={election_duty}", "--epoch={epoch}", "--not-before-round={not_before_round}",
                        "--join-after-ms={join_after_ms}", "--join-until-ms={join_until_ms}");
                default -> List.of();
            };
            String path = script(op, bodies.getOrDefault(op, "exit 0"));
            List<String> argv = new java.util.ArrayList<>(List.of(path));
            argv.addAll(extra);
            cmds.put(op, new Program("command adapter, " + op, argv,
                    java.time.Duration.ofMillis(timeoutMs), Map.of("UNDERSTUDY_VALIDATOR", "val1", "UNDERSTUDY_OPERATION", op)));
        }
        return new CommandAdapter(keyDir, cmds, CommandAdapter.DEFAULT_CHECK_INTERVAL);
    }

    String cat(String fixture) {
        return "cat " + fixtures.resolve(fixture);
    }

    @Test
    void recordedOutputsAreParsed() throws Exception {
        CommandAdapter a = adapter(Map.of("status", cat("status-synced.json"), "evidence", cat("evidence-signing.json"),
                "key_files", cat("key-files.json")), 5000);
        NodeStatus s = a.status();
        assertTrue(s.synced());
        assertEquals(1, s.lagRounds());
        assertEquals(1700065536L, s.nextPeriod());
        assertEquals("masterchain 2 s behind", s.detail());
        Evidence e = a.evidence(3);
        assertTrue(e.signedRecently() && e.inCurrentSet() && e.inNextSet());
        assertEquals(48210, e.lastVoteRound());
        assertEquals(6000, e.roundMs());
        assertEquals("evidence val1 3", Files.readString(dir.resolve("evidence.args")).trim(), "rounds passed, validator in the environment");
        KeySet k = a.keyFiles();
        assertEquals(2, k.files().size());
        assertArrayEquals(new byte[] {23, 68, 1, 2}, k.files().get(0).content());
        assertEquals(0600, k.files().get(0).mode());
        assertEquals(List.of("5A3F0C"), k.periods().get(0).keyIds());
        assertEquals(1, k.periods().size(), "the next period lists no key yet: left out, not counted as covered");
    }

    @Test
    void exitCodesAnswerSigningAndStandbyStartAndAnythingElseIsDoubt() throws Exception {
        assertTrue(adapter(Map.of("signing", "exit 0", "standby_start", "exit 0"), 5000).signing());
        CommandAdapter no = adapter(Map.of("signing", "exit 1", "standby_start", "exit 1"), 5000);
        assertFalse(no.signing());
        assertFalse(no.prepareStandbyStart(), "exit 1: this node cannot start without signing");
        CommandAdapter broken = adapter(Map.of("signing", "echo 'console: connection refused' >&2; exit 2", "deactivate", "exit 3"), 5000);
        NodeException e = assertThrows(NodeException.class, broken::signing);
        assertFalse(e.isBadOutput());
        assertTrue(e.getMessage().contains("signing") && e.getMessage().contains("exited 2: console: connection refused"), e.getMessage());
        NodeException d = assertThrows(NodeException.class, broken::deactivate);
        assertTrue(d.getMessage().contains("deactivate") && d.getMessage().contains("exited 3"), d.getMessage());
    }

    @Test
    void placeholdersReachTheCommands() throws Exception {
        CommandAdapter a = adapter(Map.of(), 5000);
        a.install(dir.resolve("bundle-files"));
        assertEquals("install val1 " + dir.resolve("bundle-files"), Files.readString(dir.resolve("install.args")).trim());
        a.activate(new Activation(true, 4711, 120, 1234, 5678));
        assertEquals("activate val1 --election-duty=true --epoch=4711 --not-before-round=120 --join-after-ms=1234 --join-until-ms=5678",
                Files.readString(dir.resolve("activate.args")).trim(), "the fencing token, the round floor and the join time reach the program");
        a.activate(Activation.unfenced(false));
        assertEquals("activate val1 --election-duty=false --epoch=0 --not-before-round=-1 --join-after-ms=-1 --join-until-ms=-1",
                Files.readString(dir.resolve("activate.args")).trim());
    }

    @Test
    void malformedAnswersNameTheOperationAndTheField() throws Exception {
        NodeException typed = assertThrows(NodeException.class, adapter(Map.of("status", cat("status-malformed.json")), 5000)::status);
        assertTrue(typed.isBadOutput());
        assertTrue(typed.getMessage().contains("status") && typed.getMessage().contains("field 'synced' missing or not true/false"), typed.getMessage());
        NodeException notJson = assertThrows(NodeException.class, adapter(Map.of("status", "echo 'Synced: yes'"), 5000)::status);
        assertTrue(notJson.isBadOutput() && notJson.getMessage().contains("status"), notJson.getMessage());
        CommandAdapter list = adapter(Map.of("evidence", "echo '[1, 2]'"), 5000);
        NodeException garbage = assertThrows(NodeException.class, () -> list.evidence(3));
        assertTrue(garbage.isBadOutput() && garbage.getMessage().contains("evidence"), garbage.getMessage());
        NodeException escape = assertThrows(NodeException.class, adapter(Map.of("key_files",
                "echo '{\"files\":[{\"path\":\"../../etc/shadow\",\"mode\":\"0600\"}],\"periods\":[]}'"), 5000)::keyFiles);
        assertTrue(escape.getMessage().contains("must be relative to"), escape.getMessage());
        NodeException mode = assertThrows(NodeException.class, adapter(Map.of("key_files",
                "echo '{\"files\":[{\"path\":\"config.json\",\"mode\":\"rw\"}],\"periods\":[]}'"), 5000)::keyFiles);
        assertTrue(mode.getMessage().contains("expected an octal mode"), mode.getMessage());
        NodeException missing = assertThrows(NodeException.class, adapter(Map.of("key_files",
                "echo '{\"files\":[{\"path\":\"keyring/GONE\",\"mode\":\"0600\"}],\"periods\":[]}'"), 5000)::keyFiles);
        assertTrue(missing.getMessage().contains("keyring/GONE"), missing.getMessage());
    }

    /** The budget the agent renews for while a holder's node deactivates covers both programs hanging to their timeout. */
    @Test
    void theDeactivationBudgetCoversADeactivateAndASigningCheckThatBothHang() throws Exception {
        CommandAdapter a = adapter(Map.of("deactivate", "sleep 30", "signing", "sleep 30"), 400);
        assertEquals(java.time.Duration.ofMillis(800), a.deactivationBudget());
        long t0 = System.nanoTime();
        assertThrows(NodeException.class, a::deactivate);
        assertThrows(NodeException.class, a::signing);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(ms >= 800 && ms < 800 + 2000, "both ran to their timeouts, within the budget and the kill: " + ms + " ms");
    }

    @Test
    void aHungCommandIsKilledWithItsChildrenAtItsTimeout() throws Exception {
        Path pid = dir.resolve("child.pid");
        CommandAdapter a = adapter(Map.of("signing", "sleep 30 & echo $! > " + pid + "; wait"), 400);
        long t0 = System.nanoTime();
        NodeException e = assertThrows(NodeException.class, a::signing);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(e.getMessage().contains("did not finish in 400 ms"), e.getMessage());
        assertTrue(ms < 3000, "returned after " + ms + " ms");
        long child = Long.parseLong(Files.readString(pid).trim());
        dev.understudy.testing.Wait.until("the child to be gone", 3000, () -> ProcessHandle.of(child).map(h -> !h.isAlive()).orElse(true));
    }

    @Test
    void theConfigNeedsEveryOperationAsAnAbsoluteProgram() throws Exception {
        Map<String, Object> c = config();
        CommandAdapter.fromConfig("val1", section(c));
        c.put("signing", List.of("mynode-signing"));
        BadInputException rel = assertThrows(BadInputException.class, () -> CommandAdapter.fromConfig("val1", section(c)));
        assertTrue(rel.getMessage().contains("node.command.signing: the program must be an absolute path"), rel.getMessage());
        c.remove("signing");
        BadInputException none = assertThrows(BadInputException.class, () -> CommandAdapter.fromConfig("val1", section(c)));
        assertTrue(none.getMessage().contains("node.command.signing: is required"), none.getMessage());
        c.put("signing", List.of("/bin/true"));
        c.put("sign", List.of("/bin/true"));
        BadInputException unknown = assertThrows(BadInputException.class, () -> CommandAdapter.fromConfig("val1", section(c)));
        assertTrue(unknown.getMessage().contains("sign"), unknown.getMessage());
    }

    @Test
    void theAgentsChecksAreSpacedBySecondUnlessConfigured() throws Exception {
        Map<String, Object> c = config();
        assertEquals(java.time.Duration.ofSeconds(1), CommandAdapter.fromConfig("val1", section(c)).checkInterval());
        c.put("check_interval_ms", 2500);
        assertEquals(java.time.Duration.ofMillis(2500), CommandAdapter.fromConfig("val1", section(c)).checkInterval());
        c.put("check_interval_ms", 0);
        assertEquals(java.time.Duration.ZERO, CommandAdapter.fromConfig("val1", section(c)).checkInterval());
        c.put("check_interval_ms", -5);
        BadInputException bad = assertThrows(BadInputException.class, () -> CommandAdapter.fromConfig("val1", section(c)));
        assertTrue(bad.getMessage().contains("node.command.check_interval_ms"), bad.getMessage());
    }

    /** A valid node.command section: key_dir and every operation as an absolute program. */
    Map<String, Object> config() {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("key_dir", keyDir.toString());
        for (String op : CommandAdapter.OPERATIONS) {
            c.put(op, List.of("/usr/local/lib/mynode/" + op));
        }
        return c;
    }

    static Section section(Map<String, Object> c) throws Exception {
        Map<String, Object> root = Map.of("node", Map.of("command", c));
        return Section.root("understudy.yml", Json.MAPPER.valueToTree(root)).section("node").section("command");
    }
}
