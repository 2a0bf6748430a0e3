package dev.understudy.coordination;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent's writable directories as its mount namespace has them (mountinfo lines as the agent's sandbox on the lab
 * shows them): a directory that appeared after the start, or was made again, asks for a restart; one that is
 * writable, or read-only from the start, does not.
 */
class AccessWatchTest {
    @TempDir
    Path dir;

    private static final String ROOT = "1048 1017 0:42 / / ro,nosuid,relatime shared:253 master:20 - overlay overlay rw,lowerdir=/x\n"
            + "1058 1048 0:58 / /run rw,nosuid,nodev shared:279 master:25 - tmpfs tmpfs rw,size=4936756k\n"
            + "1059 1058 0:58 /host /run/host ro,nosuid,nodev,noexec shared:280 master:25 - tmpfs tmpfs rw\n";

    private static String bind(Path p, String opts) {
        String e = p.toString().replace(" ", "\\040");
        return "1087 1048 0:42 " + e + " " + e + " " + opts + " shared:300 master:20 - overlay overlay rw\n";
    }

    @Test
    void theMountOfAPathIsTheLongestPointAboveIt() {
        String mi = ROOT + bind(Path.of("/var/lib/understudy"), "rw,nosuid,relatime");
        assertEquals("/var/lib/understudy", AccessWatch.mountOf(mi, "/var/lib/understudy/keys").point());
        assertFalse(AccessWatch.mountOf(mi, "/var/lib/understudy").readOnly());
        assertTrue(AccessWatch.mountOf(mi, "/var/lib/understudy-other").readOnly(), "a name sharing a prefix is not under it");
        assertEquals("/", AccessWatch.mountOf(mi, "/var/lib/simnet-node").point());
        assertTrue(AccessWatch.mountOf(mi, "/run/host/x").readOnly());
        assertFalse(AccessWatch.mountOf(mi, "/run/lab-watchdog").readOnly());
        assertFalse(AccessWatch.mountOf(ROOT + bind(Path.of("/srv/a dir"), "rw"), "/srv/a dir").readOnly(), "\\040 is a space");
    }

    @Test
    void aDirectoryThatAppearedAfterTheStartAsksForARestartWhileItIsReadOnly() throws Exception {
        Path node = dir.resolve("node");
        AccessWatch w = new AccessWatch(List.of(node), "");
        assertNull(w.check(ROOT), "missing: nothing to restart for yet");
        Files.createDirectory(node);
        String why = w.check(ROOT);
        assertTrue(why != null && why.contains(node + " appeared after the agent started"), why);
        assertNull(w.check(ROOT + bind(node, "rw,nosuid")), "bound writable: the restart happened");
    }

    @Test
    void aDirectoryMadeAgainAsksForARestartAndOneReadOnlyFromTheStartDoesNot() throws Exception {
        Path node = Files.createDirectory(dir.resolve("node"));
        AccessWatch w = new AccessWatch(List.of(node), "");
        assertNull(w.check(ROOT + bind(node, "rw")));
        String deleted = ROOT + "1087 1048 0:42 " + node + "//deleted " + node + " rw shared:300 - overlay overlay rw\n";
        String why = w.check(deleted);
        assertTrue(why != null && why.contains("deleted and made again"), why);
        assertNull(w.check(ROOT), "read-only since the start: reported, no restart loop");
        assertNull(w.check(ROOT));
    }
}
