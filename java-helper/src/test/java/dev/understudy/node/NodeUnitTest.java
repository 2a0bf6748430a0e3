package dev.understudy.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.understudy.cli.BadInputException;
import dev.understudy.common.Json;
import dev.understudy.config.Section;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The node unit's systemctl sequences, against a systemctl stand-in that keeps a unit's state in a file the way
 * systemd reports it (this machine runs no systemd; the lab's node-hung scenario drives the real one).
 */
class NodeUnitTest {
    @TempDir
    Path dir;
    Path state;
    Path calls;
    NodeUnit unit;

    @BeforeEach
    void systemctl() throws IOException {
        state = dir.resolve("state");
        calls = dir.resolve("calls");
        Path fake = dir.resolve("systemctl");
        // is-active prints the state; kill leaves the unit "failed" (as Restart= would schedule a restart) unless
        // the state file says "stuck"; stop turns a killed unit inactive; start refuses a masked unit
        Files.writeString(fake, """
                #!/bin/bash
                echo "$*" >> "$(dirname "$0")/calls"
                s=$(cat "$(dirname "$0")/state")
                case "$1" in
                  is-active) echo "${s%-stuck}"; [ "$s" = active ] ;;
                  kill) [ "$s" = active-stuck ] || echo failed > "$(dirname "$0")/state" ;;
                  stop) [ "$s" = active-stuck ] || echo inactive > "$(dirname "$0")/state" ;;
                  reset-failed) echo inactive > "$(dirname "$0")/state" ;;
                  start) if [ "$s" = masked ]; then echo "Failed to start $3: Unit $3 is masked." >&2; exit 1; fi
                         echo activating > "$(dirname "$0")/state" ;;
                esac
                """);
        Files.setPosixFilePermissions(fake, PosixFilePermissions.fromString("rwx------"));
        unit = new NodeUnit("validator.service", List.of(fake.toString()));
    }

    private void state(String s) throws IOException {
        Files.writeString(state, s + "\n");
    }

    private List<String> calls() throws IOException {
        return Files.exists(calls) ? Files.readAllLines(calls) : List.of();
    }

    @Test
    void aKillSendsSigkillToTheWholeUnitThenStopsItAndConfirmsNoProcessIsLeft() throws IOException {
        state("active");
        assertEquals(NodeUnit.State.RUNNING, unit.state());
        assertNull(unit.kill());
        assertEquals(List.of("is-active validator.service", "kill --signal=SIGKILL validator.service", "stop validator.service",
                "is-active validator.service"), calls());
        assertEquals(NodeUnit.State.STOPPED, unit.state());
    }

    @Test
    void aUnitThatStillRunsAfterTheKillIsNotConfirmedStopped() throws IOException {
        state("active-stuck");
        String why = unit.kill();
        assertNotNull(why);
        assertTrue(why.contains("validator.service is running after the kill"), why);
    }

    @Test
    void aFailedUnitIsResetBeforeItIsStartedWithoutWaiting() throws Exception {
        state("failed");
        unit.start();
        assertEquals(List.of("is-active validator.service", "reset-failed validator.service", "start --no-block validator.service"),
                calls());
        assertEquals(NodeUnit.State.CHANGING, unit.state());
    }

    @Test
    void aStartSystemdRefusesNamesTheReason() throws IOException {
        state("masked");
        NodeException e = assertThrows(NodeException.class, unit::start);
        assertTrue(e.getMessage().contains("Unit validator.service is masked"), e.getMessage());
        assertEquals(NodeUnit.State.UNKNOWN, unit.state(), "systemctl saying something else is not a state to act on");
    }

    @Test
    void aProcessIsPlacedInAUnitByAnyPartOfItsCgroupPath() {
        assertTrue(NodeUnit.inUnit("0::/system.slice/validator.service\n", "validator.service"));
        assertTrue(NodeUnit.inUnit("0::/system.slice/validator.service/payload\n", "validator.service"));
        assertTrue(NodeUnit.inUnit("1:name=systemd:/system.slice/validator.service\n0::/\n", "validator.service"));
        assertFalse(NodeUnit.inUnit("0::/system.slice/validator.service-x.service\n", "validator.service"));
        assertFalse(NodeUnit.inUnit("0::/system.slice/understudy-agent.service\n", "validator.service"));
        assertFalse(NodeUnit.inUnit("garbage", "validator.service"));
    }

    /**
     * The agent is not root: systemctl reaches systemd over D-Bus, which may be dead or hung. The kill still reaches
     * every process of the unit (a real process in a real cgroup named like the unit) and spares the others.
     */
    @Test
    void aKillReachesTheUnitsProcessesWhenSystemdCannotBeAsked() throws Exception {
        String name = "understudy-test-" + ProcessHandle.current().pid() + ".service";
        Path cgroup = null;
        for (String hierarchy : List.of("/sys/fs/cgroup/unified", "/sys/fs/cgroup/systemd", "/sys/fs/cgroup")) {
            Path h = Path.of(hierarchy);
            if (Files.isWritable(h) && Files.exists(h.resolve("cgroup.procs"))) {
                try {
                    cgroup = Files.createDirectory(h.resolve(name));
                    break;
                } catch (IOException e) {
                    // not this one
                }
            }
        }
        assumeTrue(cgroup != null, "no writable cgroup hierarchy to place a process in");
        Process inside = new ProcessBuilder("sleep", "60").start();
        Process outside = new ProcessBuilder("sleep", "60").start();
        try {
            Files.writeString(cgroup.resolve("cgroup.procs"), Long.toString(inside.pid()));
            Path dead = dir.resolve("dead-bus");
            Files.writeString(dead, "#!/bin/sh\necho 'Failed to connect to bus: No such file or directory' >&2\nexit 1\n");
            Path hung = dir.resolve("hung-bus");
            Files.writeString(hung, "#!/bin/sh\nexec sleep 30\n");
            for (Path p : List.of(dead, hung)) {
                Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwx------"));
            }
            NodeUnit u = new NodeUnit(name, List.of(hung.toString()), java.time.Duration.ofSeconds(5));
            assertEquals(1, u.processes().size());
            long t0 = System.nanoTime();
            assertNull(u.kill(), "no process of the unit is left, though systemd did not answer");
            assertTrue(inside.waitFor(2, java.util.concurrent.TimeUnit.SECONDS), "the unit's process was killed");
            assertTrue(outside.isAlive(), "a process outside the unit is spared");
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(ms < 1500, "a hung bus holds the kill only while the stop is queued, not for systemctl's timeouts: " + ms + " ms");
            // nothing left to kill and systemd dead: no process signs, which is what counts
            assertNull(new NodeUnit(name, List.of(dead.toString()), java.time.Duration.ofMillis(300)).kill());
        } finally {
            inside.destroyForcibly().waitFor();
            outside.destroyForcibly().waitFor();
            Files.deleteIfExists(cgroup);
        }
    }

    @Test
    void theUnitNameIsCheckedAndOptional() throws BadInputException {
        assertNull(NodeUnit.fromConfig(node(Map.of("adapter", "simnet"))));
        assertEquals("simnet-node.service", NodeUnit.fromConfig(node(Map.of("unit", "simnet-node.service"))).name());
        assertEquals("ton@main.service", NodeUnit.fromConfig(node(Map.of("unit", "ton@main.service"))).name());
        for (String bad : List.of("validator", "--now.service", "a b.service", "../x.service;rm", "x.socket")) {
            BadInputException e = assertThrows(BadInputException.class, () -> NodeUnit.fromConfig(node(Map.of("unit", bad))), bad);
            assertTrue(e.getMessage().contains("node.unit") && e.getMessage().contains("systemd service"), e.getMessage());
        }
    }

    private static Section node(Map<String, Object> node) throws BadInputException {
        return Section.root("understudy.yml", Json.MAPPER.valueToTree(Map.of("node", node))).section("node");
    }
}
