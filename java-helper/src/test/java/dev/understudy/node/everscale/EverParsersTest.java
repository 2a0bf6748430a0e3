package dev.understudy.node.everscale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.understudy.node.NodeException;
import dev.understudy.testing.Fixtures;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** ever-node's answers, over fixtures in the documented formats (src/test/resources/adapters/everscale). */
final class EverParsersTest {
    private static byte[] fixture(String name) throws IOException {
        return Fixtures.bytes("/adapters/everscale/" + name);
    }

    private static EverStats stats(String name) throws Exception {
        return EverStats.parse(Fixtures.text("/adapters/everscale/" + name), name);
    }

    @Test
    void aSyncedActiveNode() throws Exception {
        EverStats s = stats("getstats-synced-active.json");
        assertTrue(s.synced(20));
        assertTrue(s.active());
        assertTrue(s.inCurrentSet());
        assertTrue(s.inNextSet());
    }

    @Test
    void aSyncedStandbyAndALaggingNode() throws Exception {
        EverStats standby = stats("getstats-synced-standby.json");
        assertTrue(standby.synced(20));
        assertFalse(standby.active());
        assertFalse(standby.inCurrentSet());
        EverStats lagging = stats("getstats-lagging.json");
        assertFalse(lagging.synced(20), "not synchronization_finished");
        assertEquals(420, lagging.timediff());
        assertFalse(new EverStats("synchronization_finished", 25, "Active", true, true, 61234567).synced(20), "finished but 25 s behind");
    }

    /**
     * ever-node's control server (src/network/control.rs) prints no validation_status, only when it last validated a
     * block of each shard: a block within 60 s is Active, older or never is Disabled, and neither field is an error.
     */
    @Test
    void withoutValidationStatusRecentValidationCounts() throws Exception {
        assertTrue(stats("getstats-without-status-validating.json").active(), "2 s ago");
        EverStats stopped = stats("getstats-without-status-stopped.json");
        assertFalse(stopped.active(), "95 s ago and never");
        assertEquals("Disabled", stopped.validationStatus());
        String base = "{\"sync_status\": \"synchronization_finished\", \"timediff\": 1, \"in_current_vset_p34\": true, "
                + "\"in_next_vset_p36\": false";
        assertTrue(EverStats.parse(base + ", \"validation_stats\": {\"0:8000000000000000\": \"60 sec ago\"}}", "g").active());
        assertFalse(EverStats.parse(base + ", \"validation_stats\": {}}", "g").active());
        NodeException neither = assertThrows(NodeException.class, () -> EverStats.parse(base + "}", "g"));
        assertTrue(neither.getMessage().startsWith("g: neither field 'validation_status' nor an object 'validation_stats'"),
                neither.getMessage());
        NodeException odd = assertThrows(NodeException.class,
                () -> EverStats.parse(base + ", \"validation_stats\": {\"-1:8000000000000000\": \"soon\"}}", "g"));
        assertTrue(odd.getMessage().contains("validation_stats.-1:8000000000000000 expected 'N sec ago' or 'never', got 'soon'"),
                odd.getMessage());
    }

    @Test
    void malformedOutputNamesTheFieldAndTheSource() {
        NodeException e = assertThrows(NodeException.class, () -> stats("getstats-malformed.json"));
        assertTrue(e.isBadOutput());
        assertEquals("getstats-malformed.json: field 'validation_status' expected one of Disabled, Waiting, Countdown, Active, got 'Validating'",
                e.getMessage());
        NodeException missing = assertThrows(NodeException.class,
                () -> EverStats.parse("{\"validation_status\": \"Active\", \"sync_status\": \"x\"}", "console getstats"));
        assertEquals("console getstats: field 'timediff' missing or not an integer", missing.getMessage());
        NodeException notJson = assertThrows(NodeException.class, () -> EverStats.parse("error: timeout", "console getstats"));
        assertTrue(notJson.getMessage().startsWith("console getstats: malformed JSON"), notJson.getMessage());
    }

    @Test
    void keysOfTheCurrentAndNextElectionsOnly() throws Exception {
        List<EverKeys.Entry> entries = EverKeys.entries(fixture("config.json"), 1_795_233_536L, "configs/config.json");
        assertEquals(List.of(1_795_233_536L, 1_795_299_072L), entries.stream().map(EverKeys.Entry::electionId).toList());
        assertEquals(3, EverKeys.entries(fixture("config.json"), 0, "configs/config.json").size());
    }

    @Test
    void anEntryWhoseKeyIsNotInTheRingIsAnError() {
        NodeException e = assertThrows(NodeException.class,
                () -> EverKeys.entries(fixture("config-missing-ring-key.json"), 0, "configs/config.json"));
        assertTrue(e.isBadOutput());
        assertTrue(e.getMessage().startsWith("configs/config.json: validator_keys[2]: key ")
                && e.getMessage().endsWith(" is not in validator_key_ring"), e.getMessage());
    }
}
