package dev.understudy.coordination;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.understudy.node.NodeUnit;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node that is killed may be brought back by systemd's {@code Restart=} when the agent cannot reach systemd to stop
 * it; its guard then lets it start signing only if the role record says holder. So the record is written before
 * every kill, never after.
 */
class NodeSwitchTest {
    @TempDir
    Path dir;

    @Test
    void theRoleIsRecordedBeforeTheNodeIsKilled() throws Exception {
        Path log = dir.resolve("log");
        Path fake = dir.resolve("systemctl");
        Files.writeString(fake, "#!/bin/sh\necho \"$1\" >> " + log + "\n[ \"$1\" = is-active ] && echo inactive\nexit 0\n");
        Files.setPosixFilePermissions(fake, PosixFilePermissions.fromString("rwx------"));
        Runnable record = () -> {
            try {
                Files.writeString(log, "role\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        };
        NodeSwitch s = new NodeSwitch(null, null, null, new NodeUnit("validator.service", List.of(fake.toString())), "", record);
        assertTrue(s.stop(false), "a hung node is killed and confirmed stopped");
        List<String> calls = Files.readAllLines(log);
        assertEquals("role", calls.get(0), calls.toString());
        assertTrue(calls.indexOf("kill") > 0, calls.toString());

        Files.delete(log);
        s.restart();
        calls = Files.readAllLines(log);
        assertEquals("role", calls.get(0), calls.toString());
        assertTrue(calls.indexOf("kill") > 0 && calls.contains("start"), calls.toString());
    }
}
