package dev.understudy.node.multiversx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.understudy.node.NodeException;
import dev.understudy.testing.Fixtures;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/** mx-chain-go's answers and prefs, over fixtures in the documented formats (src/test/resources/adapters/multiversx). */
final class MxParsersTest {
    private static String fixture(String name) throws IOException {
        return Fixtures.text("/adapters/multiversx/" + name);
    }

    @Test
    void mainAndBackupStatus() throws Exception {
        MxStatus main = MxStatus.parse(fixture("node-status-main-eligible.json"), "main /node/status");
        assertFalse(main.syncing());
        assertTrue(main.eligible());
        assertEquals(0, main.redundancyLevel());
        assertEquals(21412345, main.round());
        assertEquals(1501, main.epoch());
        MxStatus backup = MxStatus.parse(fixture("node-status-backup-synced.json"), "backup /node/status");
        assertEquals(1, backup.redundancyLevel());
        assertTrue(backup.mainActive());
        MxStatus syncing = MxStatus.parse(fixture("node-status-syncing.json"), "/node/status");
        assertTrue(syncing.syncing());
        assertFalse(syncing.eligible());
        assertFalse(syncing.mainActive());
    }

    @Test
    void malformedAndErrorAnswersNameTheField() {
        NodeException bad = assertThrows(NodeException.class,
                () -> MxStatus.parse(fixture("node-status-malformed.json"), "http://127.0.0.1:8080/node/status"));
        assertEquals("http://127.0.0.1:8080/node/status: data.metrics: field 'erd_redundancy_is_main_active' expected \"true\" or \"false\", got 'yes'",
                bad.getMessage());
        NodeException error = assertThrows(NodeException.class,
                () -> MxStatus.parse(fixture("node-status-error.json"), "/node/status"));
        assertEquals("/node/status: field 'data.metrics' missing (error: node is starting)", error.getMessage());
    }

    @Test
    void redundancyLevelIsReadFromPreferencesOnlyAndRewrittenInPlace() throws Exception {
        String prefs = fixture("prefs.toml");
        assertEquals(1, MxPrefs.redundancyLevel(prefs, "prefs.toml"));
        String main = MxPrefs.withRedundancyLevel(prefs, 0, "prefs.toml");
        assertEquals(0, MxPrefs.redundancyLevel(main, "prefs.toml"));
        assertEquals(prefs.replace("   RedundancyLevel = 1\n", "   RedundancyLevel = 0\n"), main, "only that line changes");
        assertTrue(main.contains("   RedundancyLevel = 7\n"), "the other section's key is untouched");
        assertThrows(IllegalArgumentException.class, () -> MxPrefs.withRedundancyLevel(prefs, -1, "prefs.toml"));
    }

    @Test
    void malformedPrefsNameTheKey() throws Exception {
        NodeException e = assertThrows(NodeException.class,
                () -> MxPrefs.redundancyLevel(fixture("prefs-malformed.toml"), "config/prefs.toml"));
        assertEquals("config/prefs.toml: [Preferences] RedundancyLevel expected a whole number, got 'RedundancyLevel = one'", e.getMessage());
        assertEquals("prefs.toml: no [Preferences] section",
                assertThrows(NodeException.class, () -> MxPrefs.redundancyLevel("[Other]\nRedundancyLevel = 1\n", "prefs.toml")).getMessage());
        assertEquals("prefs.toml: [Preferences] RedundancyLevel is negative (-1); the node refuses it",
                assertThrows(NodeException.class, () -> MxPrefs.redundancyLevel("[Preferences]\n RedundancyLevel = -1\n", "prefs.toml")).getMessage());
    }
}
