package dev.understudy.node.ton;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.understudy.node.NodeException;
import dev.understudy.testing.Fixtures;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The TON node's answers, over fixtures in the documented formats (src/test/resources/adapters/ton). */
final class TonParsersTest {
    private static byte[] fixture(String name) throws IOException {
        return Fixtures.bytes("/adapters/ton/" + name);
    }

    private static TonStats stats(String name) throws Exception {
        return TonStats.parse(Fixtures.text("/adapters/ton/" + name), name);
    }

    @Test
    void aSyncedValidatingNode() throws Exception {
        TonStats s = stats("getstats-synced-validating.txt");
        assertEquals(45123456, s.masterchainSeqno());
        assertEquals(45123455, s.shardClientSeqno());
        assertEquals(2, s.outOfSync());
        assertTrue(s.activeValidatorGroups());
        assertEquals(1873, s.validatedMasterOk());
    }

    @Test
    void aSyncedStandbyDoesNotValidate() throws Exception {
        TonStats s = stats("getstats-synced-standby.txt");
        assertEquals(3, s.outOfSync());
        assertFalse(s.activeValidatorGroups());
        assertEquals(0, s.validatedMasterOk());
    }

    @Test
    void aLaggingNodeIsBehindByTheLargerOfTimeAndBlocks() throws Exception {
        TonStats s = stats("getstats-lagging.txt");
        assertEquals(3436, s.outOfSync(), "3436 masterchain blocks behind outweighs 1123 s");
    }

    @Test
    void malformedOutputNamesTheFieldAndTheSource() {
        NodeException e = assertThrows(NodeException.class, () -> stats("getstats-malformed.txt"));
        assertTrue(e.isBadOutput());
        assertEquals("getstats-malformed.txt: field 'masterchainblocktime' expected an integer, got 'not-a-number'", e.getMessage());
        NodeException missing = assertThrows(NodeException.class, () -> TonStats.parse("unixtime 5\n", "console"));
        assertEquals("console: field 'masterchainblocktime' missing", missing.getMessage());
        NodeException block = assertThrows(NodeException.class, () -> TonStats.parse(
                "unixtime 5\nmasterchainblocktime 4\nmasterchainblock (0,8000,12):AB:CD\nshardclientmasterchainseqno 12\n", "console"));
        assertTrue(block.getMessage().startsWith("console: field 'masterchainblock' is not a masterchain block id"), block.getMessage());
    }

    @Test
    void keyFilesOfUnexpiredPeriodsOnly() throws Exception {
        // at 1795300000 the first entry (expired at 1795241728) is over; the current and the next remain
        List<TonKeys.Entry> entries = TonKeys.unexpired(fixture("config.json"), 1_795_300_000L, "config.json");
        assertEquals(2, entries.size());
        assertEquals("59278C8C210503CCF8B9A61A86BFEF236FFCDF31D3DF360740364A803DC39653", entries.get(0).permKey());
        assertEquals(1_795_233_536L, entries.get(0).electionDate());
        assertEquals("01C6CC262C24799EB91E8E0F53AE84878E7BC8C61BE28F0E3F30460AC5198173", entries.get(1).permKey());
        // mytonctrl's temp key is the permanent key: one keyring file for both, plus the ADNL address
        assertEquals(2, entries.get(0).keyringFiles().size());
        assertEquals(entries.get(0).permKey(), entries.get(0).keyringFiles().get(0));
        assertTrue(entries.get(0).keyringFiles().get(1).matches("[0-9A-F]{64}"));
        assertEquals(List.of(), TonKeys.unexpired(fixture("config.json"), 1_795_400_000L, "config.json"));
    }

    @Test
    void malformedConfigNamesTheEntryAndField() {
        NodeException e = assertThrows(NodeException.class,
                () -> TonKeys.unexpired(fixture("config-malformed.json"), 1_795_300_000L, "db/config.json"));
        assertTrue(e.isBadOutput());
        assertTrue(e.getMessage().startsWith("db/config.json: validators[2].id: not base64"), e.getMessage());
        NodeException notJson = assertThrows(NodeException.class,
                () -> TonKeys.unexpired("{\"validators\": [".getBytes(StandardCharsets.UTF_8), 0, "db/config.json"));
        assertTrue(notJson.getMessage().startsWith("db/config.json: malformed JSON"), notJson.getMessage());
        NodeException noExpiry = assertThrows(NodeException.class, () -> TonKeys.unexpired(
                "{\"validators\": [{\"id\": \"x\"}]}".getBytes(StandardCharsets.UTF_8), 0, "db/config.json"));
        assertEquals("db/config.json: validators[0]: field 'expire_at' missing or not an integer", noExpiry.getMessage());
    }
}
