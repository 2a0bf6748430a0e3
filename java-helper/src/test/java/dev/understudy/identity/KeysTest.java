package dev.understudy.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.understudy.cli.Exit;
import dev.understudy.common.Json;
import dev.understudy.testing.Cli;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeysTest {
    @TempDir
    Path dir;

    @Test
    void initCreatesPrivateFilesPrintsPublicKeysAndRefusesToOverwrite() throws Exception {
        Path id = dir.resolve("identity");
        Cli.Run r = Cli.run("keys", "init", "--dir", id.toString(), "--json");
        assertEquals(0, r.code(), r.toString());
        JsonNode j = Json.parseObject(r.out().getBytes(StandardCharsets.UTF_8), "stdout");
        assertTrue(j.get("recipient").asText().startsWith("age1"));
        assertTrue(j.get("verify_key").asText().startsWith("ed25519:"));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(id)));
        for (String f : new String[] {IdentityStore.AGE_FILE, IdentityStore.SIGNING_FILE}) {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(id.resolve(f))));
        }
        byte[] before = Files.readAllBytes(id.resolve(IdentityStore.AGE_FILE));
        Cli.Run again = Cli.run("keys", "init", "--dir", id.toString());
        assertEquals(Exit.CHECK_FAILED, again.code(), again.toString());
        assertTrue(again.err().contains("already exists") && again.err().contains("--force"), again.err());
        assertEquals(new String(before, StandardCharsets.US_ASCII), Files.readString(id.resolve(IdentityStore.AGE_FILE)));

        Cli.Run forced = Cli.run("keys", "init", "--dir", id.toString(), "--force", "--json");
        assertEquals(0, forced.code());
        assertNotEquals(j.get("recipient").asText(),
                Json.parseObject(forced.out().getBytes(StandardCharsets.UTF_8), "stdout").get("recipient").asText());

        Cli.Run show = Cli.run("keys", "show", "--dir", id.toString());
        assertEquals(0, show.code());
        assertTrue(show.out().contains("recipient:  age1"), show.out());
    }

    @Test
    void theFilesAreTheStandardFormats() throws Exception {
        Path id = dir.resolve("identity");
        assertEquals(0, Cli.run("keys", "init", "--dir", id.toString()).code());
        String ageKey = Files.readString(id.resolve(IdentityStore.AGE_FILE));
        assertTrue(ageKey.contains("# public key: age1") && ageKey.contains("AGE-SECRET-KEY-1"), ageKey);
        Process p = new ProcessBuilder("openssl", "pkey", "-in", id.resolve(IdentityStore.SIGNING_FILE).toString(), "-noout",
                "-text").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        assertTrue(out.contains("ED25519"), out);
    }

    @Test
    void aDamagedKeyFileIsReportedByName() throws Exception {
        Path id = dir.resolve("identity");
        assertEquals(0, Cli.run("keys", "init", "--dir", id.toString()).code());
        Files.writeString(id.resolve(IdentityStore.SIGNING_FILE), "garbage\n");
        Cli.Run r = Cli.run("keys", "show", "--dir", id.toString());
        assertEquals(Exit.DATA, r.code());
        assertTrue(r.err().contains("signing.key: expected a PEM"), r.err());
    }
}
