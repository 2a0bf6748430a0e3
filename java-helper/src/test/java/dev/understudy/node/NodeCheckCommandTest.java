package dev.understudy.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.understudy.cli.Exit;
import dev.understudy.common.Json;
import dev.understudy.testing.Cli;
import dev.understudy.testing.Deployment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code understudy node check} against the command adapter's programs (real processes): every read-only answer is
 * printed, a key file by path, mode and size only, a failing operation is named with its source and makes the exit
 * 1, and no operation that changes the node runs.
 */
class NodeCheckCommandTest {
    @TempDir
    Path dir;

    void script(String name, String body) throws Exception {
        Path f = dir.resolve(name);
        Files.writeString(f, "#!/bin/sh\nD=" + dir + "\n" + body + "\n");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rwx------"));
    }

    @Test
    void everyReadOnlyAnswerIsPrintedAndAFailureIsNamed() throws Exception {
        Path fixtures = Path.of("src/test/resources/adapters/command").toAbsolutePath();
        Path keys = Files.createDirectories(dir.resolve("keys"));
        Files.writeString(keys.resolve("k1"), "the secret key");
        script("status", "cat " + fixtures.resolve("status-synced.json"));
        script("signing", "exit 1");
        script("evidence", "echo \"$*\" > $D/evidence.args; cat " + fixtures.resolve("evidence-signing.json"));
        script("key-files", "echo '{\"files\": [{\"path\": \"k1\", \"mode\": \"0600\"}], \"periods\": [{\"period\": 1700000000, \"key_ids\": [\"k1\"]}]}'");
        for (String changing : new String[] {"install", "activate", "deactivate", "standby-start"}) {
            script(changing, "touch $D/changed-" + changing + "; exit 0");
        }
        Deployment d = new Deployment(dir.resolve("deployment"));
        String yaml = d.config("lab-main", "http://127.0.0.1:7701", dir.resolve("home"), "http://127.0.0.1:7700", 2222);
        String node = "node:\n  adapter: command\n  command:\n    key_dir: " + keys + "\n"
                + "    status: [" + dir.resolve("status") + "]\n    signing: [" + dir.resolve("signing") + "]\n"
                + "    evidence: [" + dir.resolve("evidence") + ", \"{rounds}\"]\n    key_files: [" + dir.resolve("key-files") + "]\n"
                + "    install: [" + dir.resolve("install") + ", \"{dir}\"]\n    activate: [" + dir.resolve("activate") + "]\n"
                + "    deactivate: [" + dir.resolve("deactivate") + "]\n    standby_start: [" + dir.resolve("standby-start") + "]\n";
        yaml = yaml.substring(0, yaml.indexOf("node:\n")) + node + yaml.substring(yaml.indexOf("sync:\n"));
        Path config = dir.resolve("understudy.yml");
        Files.writeString(config, yaml);

        Cli.Run r = Cli.run("node", "check", "--config", config.toString(), "--rounds", "4", "--json");
        assertEquals(Exit.OK, r.code(), r.toString());
        JsonNode out = Json.MAPPER.readTree(r.out());
        assertEquals("command", out.get("adapter").asText());
        assertTrue(out.get("status").get("synced").asBoolean(), r.out());
        assertFalse(out.get("signing").asBoolean());
        assertEquals(4, out.get("evidence").get("windowRounds").asInt());
        assertEquals("4", Files.readString(dir.resolve("evidence.args")).strip());
        assertEquals("k1", out.get("keyFiles").get("files").get(0).get("path").asText());
        assertEquals(14, out.get("keyFiles").get("files").get(0).get("bytes").asInt());
        assertFalse(r.out().contains("the secret key"), "a key file's content is never printed");
        assertTrue(out.get("failed").isEmpty());

        script("evidence", "echo 'no route to the indexer' >&2; exit 3");
        Cli.Run broken = Cli.run("node", "check", "--config", config.toString(), "--rounds", "3");
        assertEquals(Exit.CHECK_FAILED, broken.code(), broken.toString());
        assertTrue(broken.out().contains("evidence: FAILED: ") && broken.out().contains("exited 3: no route to the indexer"), broken.out());
        assertTrue(broken.out().contains("status: {\"synced\":true"), broken.out());
        for (String changing : new String[] {"install", "activate", "deactivate", "standby-start"}) {
            assertFalse(Files.exists(dir.resolve("changed-" + changing)), changing + " must not run");
        }
    }
}
