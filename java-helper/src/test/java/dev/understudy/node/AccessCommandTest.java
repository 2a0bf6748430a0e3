package dev.understudy.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.understudy.cli.Exit;
import dev.understudy.common.Json;
import dev.understudy.testing.Cli;
import dev.understudy.testing.Deployment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code understudy node access}: the agent's sandbox (its writable directories) and polkit rule (its units) come from
 * the configured paths, for each adapter that writes files or drives units itself.
 */
class AccessCommandTest {
    @TempDir
    Path dir;

    private JsonNode access(String nodeSection) throws Exception {
        return access("  endpoints: [https://127.0.0.1:2379]\n", nodeSection);
    }

    private JsonNode access(String coordination, String nodeSection) throws Exception {
        Deployment d = new Deployment(dir.resolve("deployment"));
        String yaml = d.config("lab-main", "http://127.0.0.1:7701", dir.resolve("home"), "http://127.0.0.1:7700", 2222);
        if (nodeSection != null) {
            yaml = yaml.substring(0, yaml.indexOf("node:\n")) + nodeSection + yaml.substring(yaml.indexOf("sync:\n"));
        }
        yaml += "coordination:\n" + coordination;
        Path config = dir.resolve("understudy.yml");
        Files.writeString(config, yaml);
        Cli.Run r = Cli.run("node", "access", "--config", config.toString());
        assertEquals(Exit.OK, r.code(), r.toString());
        return Json.MAPPER.readTree(r.out());
    }

    private static List<String> list(JsonNode n) {
        List<String> out = new ArrayList<>();
        n.forEach(e -> out.add(e.asText()));
        return out;
    }

    @Test
    void simnetWritesItsHomeAndDrivesTheConfiguredUnit() throws Exception {
        JsonNode a = access("node:\n  adapter: simnet\n  unit: simnet-node.service\n  simnet:\n    chain_url: http://127.0.0.1:7700\n"
                + "    home: /var/lib/simnet-node\n");
        assertEquals(List.of(dir.resolve("deployment/main/state").toString(), "/var/lib/simnet-node"), list(a.get("writes")));
        assertEquals(List.of("simnet-node.service"), list(a.get("units")));
    }

    @Test
    void anEmulatedWatchdogsDirectoryIsWritableAndAFenceCommandsUnitAllowed() throws Exception {
        JsonNode a = access("  endpoints: [https://127.0.0.1:2379]\n"
                + "  watchdog: {driver: file, path: /run/lab-watchdog/state, timeout_ms: 700}\n"
                + "  fence_command: [/usr/bin/systemctl, stop, --no-block, simnet-node.service]\n",
                "node:\n  adapter: simnet\n  simnet:\n    chain_url: http://127.0.0.1:7700\n    home: /var/lib/simnet-node\n");
        assertEquals(List.of(dir.resolve("deployment/main/state").toString(), "/run/lab-watchdog", "/var/lib/simnet-node"),
                list(a.get("writes")));
        assertEquals(List.of("simnet-node.service"), list(a.get("units")), "the fence command's unit");
    }

    @Test
    void tonWritesItsDatabaseAndElectionFileDirectoriesAndDrivesBothServices() throws Exception {
        Path console = dir.resolve("console");
        Files.writeString(console, "#!/bin/sh\n");
        console.toFile().setExecutable(true);
        JsonNode a = access("node:\n  adapter: ton\n  ton:\n    console: [" + console + "]\n    lite_client: [" + console + "]\n"
                + "    db_dir: /var/ton-work/db\n    election_files: [/usr/src/mytonctrl/wallets/v.pk, /usr/src/mytonctrl/wallets/v.addr,"
                + " /home/ton/.local/share/mytoncore/mytoncore.db]\n");
        List<String> writes = list(a.get("writes"));
        assertEquals(List.of(dir.resolve("deployment/main/state").toString(), "/var/ton-work/db", "/usr/src/mytonctrl/wallets",
                "/home/ton/.local/share/mytoncore"), writes);
        assertEquals(List.of("validator.service", "mytoncore.service"), list(a.get("units")));
    }

    @Test
    void theCommandAdapterNeedsOnlyTheStateDirectory() throws Exception {
        Path p = dir.resolve("p");
        Files.writeString(p, "#!/bin/sh\n");
        p.toFile().setExecutable(true);
        StringBuilder s = new StringBuilder("node:\n  adapter: command\n  command:\n    key_dir: /var/lib/keys\n");
        for (String k : List.of("status", "signing", "evidence", "key_files", "install", "activate", "deactivate", "standby_start")) {
            s.append("    ").append(k).append(": [").append(p).append("]\n");
        }
        JsonNode a = access(s.toString());
        assertEquals(List.of(dir.resolve("deployment/main/state").toString()), list(a.get("writes")));
        assertTrue(a.get("units").isEmpty());
    }
}
