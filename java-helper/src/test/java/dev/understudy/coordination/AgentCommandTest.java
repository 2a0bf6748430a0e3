package dev.understudy.coordination;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.understudy.cli.BadInputException;
import dev.understudy.cli.Exit;
import dev.understudy.config.Config;
import dev.understudy.testing.Cli;
import dev.understudy.testing.Deployment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One agent process for several validators on a shared backup: what it requires of their configurations. */
class AgentCommandTest {
    @TempDir
    Path dir;
    Deployment d;

    @BeforeEach
    void setUp() throws Exception {
        d = new Deployment(dir.resolve("deployment"));
    }

    Path config(String validator, String host, String coordinationExtra) throws Exception {
        Path f = dir.resolve(validator + "-" + host + ".yml");
        Files.writeString(f, d.config("lab-backup", "http://127.0.0.1:7701", dir.resolve("home"), "http://127.0.0.1:7700", 2222)
                .replace("validator: val1\n", "validator: " + validator + "\n").replace("host: lab-backup\n", "host: " + host + "\n")
                + "coordination:\n"
                + "  endpoints: [https://127.0.0.1:2379]\n"
                + "  lease_ttl_ms: 3000\n"
                + "  margin_ms: 600\n"
                + "  watchdog: {driver: file, path: " + dir.resolve("wd") + ", timeout_ms: 700}\n"
                + coordinationExtra);
        return f;
    }

    static final String SHARED = "  shared_backup: {capacity: 2}\n";

    String refused(Path... configs) throws Exception {
        List<Config> cs = new java.util.ArrayList<>();
        for (Path p : configs) {
            cs.add(Config.load(p));
        }
        return assertThrows(BadInputException.class, () -> AgentCommand.checkShared(cs)).getMessage();
    }

    @Test
    void severalValidatorsInOneProcessMustBeOneSharedHostWithOneWatchdog() throws Exception {
        Path val1 = config("val1", "lab-backup", SHARED);
        Path val2 = config("val2", "lab-backup", SHARED);
        AgentCommand.checkShared(List.of(Config.load(val1), Config.load(val2)));
        assertTrue(refused(val1, config("val3", "lab-backup", "")).contains("coordination.shared_backup: is required when one agent"
                + " process runs several validators"));
        assertTrue(refused(val1, config("val4", "lab-main", SHARED)).contains("host: 'lab-main' differs"));
        assertTrue(refused(val1, config("val5", "lab-backup", SHARED.replace("2", "3"))).contains("capacity differs"));
        Path otherDog = dir.resolve("val6.yml");
        Files.writeString(otherDog, Files.readString(config("val6", "lab-backup", SHARED)).replace("timeout_ms: 700", "timeout_ms: 800"));
        assertTrue(refused(val1, otherDog).contains("coordination.watchdog differs"));
        assertTrue(refused(val1, val1).contains("validator val1 is given twice"));

        Cli.Run r = Cli.run("agent", "--config", val1.toString(), "--config", config("val7", "lab-main", SHARED).toString());
        assertEquals(Exit.DATA, r.code(), r.toString());
        assertTrue(r.err().contains("differs"), r.toString());
    }

    @Test
    void theSharedWatchdogsLanesShortenTheFenceWindow() throws Exception {
        assertEquals(3000 - 600 - 700, Config.load(config("val1", "lab-backup", "")).coordination().fenceAfter().toMillis());
        assertEquals(3000 - 600 - 700 - 150, Config.load(config("val2", "lab-backup", SHARED)).coordination().fenceAfter().toMillis());
        Path tight = config("val3", "lab-backup", SHARED + "  margin_ms: 1200\n");
        Cli.Run r = Cli.run("config", "check", "--file", Files.writeString(dir.resolve("tight.yml"),
                Files.readString(tight).replace("  margin_ms: 600\n", "")).toString());
        assertEquals(Exit.DATA, r.code(), r.toString());
        assertTrue(r.err().contains("lease_ttl_ms - margin_ms - watchdog.timeout_ms - 150 (shared watchdog) = 950 ms"), r.toString());
    }
}
