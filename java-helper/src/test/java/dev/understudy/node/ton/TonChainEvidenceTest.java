package dev.understudy.node.ton;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.understudy.node.Evidence;
import dev.understudy.node.NodeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The lite client's creator statistics and the set's public keys, parsed from the fixtures (formats from the TON
 * sources, src/test/resources/adapters/ton/README.md), and the silence rule judged on them.
 */
class TonChainEvidenceTest {
    static final Path FIXTURES = Path.of("src/test/resources/adapters/ton").toAbsolutePath();
    static final String OUR_ADNL = "8F07C2E4E91071539CF9819B8333B146738288CE7A81F13FB285E0E0F1ED42EC";
    static final String OUR_KEY = "A09F19E2A651C001547870FCCFE040FAE1D0D423653EB6C6E9DA99DA66D1C52B";

    static String fixture(String name) throws Exception {
        return Files.readString(FIXTURES.resolve(name));
    }

    static TonValidatorSet current() throws Exception {
        return TonValidatorSet.parse(fixture("getconfig34.txt"), 34, "p34");
    }

    static TonValidatorSet none() throws Exception {
        return TonValidatorSet.parse(fixture("getconfig36-none.txt"), 36, "p36");
    }

    static TonChainEvidence.Head head() throws Exception {
        return TonChainEvidence.Head.parse(fixture("getconfig34.txt"), "p34");
    }

    @Test
    void theSetMapsEachAdnlAddressToItsPublicKey() throws Exception {
        TonValidatorSet s = current();
        assertEquals(4, s.total());
        assertEquals(4, s.pubkeyByAdnl().size());
        assertEquals(Set.of(OUR_KEY), s.pubkeysOf(Set.of(OUR_ADNL.toLowerCase(java.util.Locale.ROOT), "00".repeat(32))));
        TonChainEvidence.Head h = head();
        assertEquals(45123456, h.seqno());
        assertEquals(1795300121, h.createdAt());
        assertTrue(h.blockId().startsWith("(-1,8000000000000000,45123456):52F2"), h.blockId());
        NodeException e = assertThrows(NodeException.class, () -> TonChainEvidence.Head.parse("ConfigParam(34) = (\n", "p34"));
        assertTrue(e.getMessage().startsWith("p34: no 'latest masterchain block known to server is"), e.getMessage());
    }

    @Test
    void creatorStatisticsLinesAreReadWithTheirCounters() throws Exception {
        TonCreatorStats s = TonCreatorStats.parse(fixture("recentcreatorstats.txt"), "stats");
        assertEquals(4, s.byPubkey().size());
        TonCreatorStats.Creator ours = s.byPubkey().get(OUR_KEY);
        assertEquals(new TonCreatorStats.Counter(1795300096, 52, 41.2611), ours.mc());
        assertEquals(new TonCreatorStats.Counter(1795300118, 106, 83.9371), ours.shard());
        assertEquals(1795300118, ours.lastCreated());
        assertEquals(492.57, s.recentTotalAt(1795300121), 0.01, "each key's counts decayed to the head's time");

        NodeException bad = assertThrows(NodeException.class, () -> TonCreatorStats.parse(fixture("recentcreatorstats-malformed.txt"), "stats"));
        assertTrue(bad.getMessage().contains("stats: a creator statistics line is not '<pubkey> mc_cnt:"), bad.getMessage());
        assertTrue(bad.getMessage().contains("A09F19E2A651C001547870FCCFE040FAE1D0D423653EB6C6E9DA99DA66D1C52B mc_cnt:<invalid-counter>"));
        NodeException cut = assertThrows(NodeException.class, () -> TonCreatorStats.parse(fixture("recentcreatorstats-incomplete.txt"), "stats"));
        assertTrue(cut.getMessage().contains("incomplete ((incomplete, repeat query from A09F"), cut.getMessage());
        NodeException noEnd = assertThrows(NodeException.class, () -> TonCreatorStats.parse(fixture("recentcreatorstats.txt")
                .replace("(complete)", ""), "stats"));
        assertTrue(noEnd.getMessage().contains("no '(complete)'"), noEnd.getMessage());
        String huge = fixture("recentcreatorstats.txt").replace("total:52 ", "total:99999999999999999999 ");
        NodeException range = assertThrows(NodeException.class, () -> TonCreatorStats.parse(huge, "stats"));
        assertTrue(range.getMessage().contains("out of range"), range.getMessage());
    }

    /**
     * The threshold is ten creation intervals of the set's average member (2048 × 4 / 483 ≈ 17 s with every count
     * decayed to the head's time, so about 169.5 s), or of this key when it creates more slowly, and never less than
     * the agent's window: quiet 169 s is signing, 170 s silent; a key that created nothing since its set began 100 s
     * ago is given the benefit of the doubt.
     */
    @Test
    void theKeyIsSilentOnlyAfterTenOfItsCreationIntervals() throws Exception {
        TonCreatorStats stats = TonCreatorStats.parse(fixture("recentcreatorstats.txt"), "stats");
        TonChainEvidence.Head h = head();
        double threshold = 10 * 2048.0 * 4 / quietFor(stats, h, 169).recentTotalAt(h.createdAt());
        assertEquals(169.5, threshold, 0.1);
        assertTrue(judgeQuiet(stats, h, 169).signedRecently());
        assertFalse(judgeQuiet(stats, h, 170).signedRecently());

        // a key that creates a block every 2048 / 2 s: its own interval counts (10 × 1024 s)
        TonCreatorStats slow = withOurs(stats, new TonCreatorStats.Creator(new TonCreatorStats.Counter(h.createdAt() - 5000, 3, 1.0),
                new TonCreatorStats.Counter(h.createdAt() - 5000, 3, 1.0)));
        assertTrue(TonChainEvidence.judge(h, current(), none(), slow, Set.of(OUR_ADNL), false, 3, 5000, 10).signedRecently(),
                "quiet 5000 s, under 10 of its 1024 s intervals");

        // nothing created yet in a set that began 100 s before the head
        TonValidatorSet young = new TonValidatorSet(h.createdAt() - 100, h.createdAt() + 65536, 4, current().adnlAddrs(), current().pubkeyByAdnl());
        TonCreatorStats withoutUs = TonCreatorStats.parse(fixture("recentcreatorstats-without-us.txt"), "stats");
        assertTrue(TonChainEvidence.judge(h, young, none(), withoutUs, Set.of(OUR_ADNL), false, 3, 5000, 10).signedRecently());
        assertFalse(TonChainEvidence.judge(h, current(), none(), withoutUs, Set.of(OUR_ADNL), false, 3, 5000, 10).signedRecently());

        // a long agent window wins over a short creation interval: 200 rounds of 5 s
        assertTrue(TonChainEvidence.judge(h, current(), none(), quietFor(stats, h, 900), Set.of(OUR_ADNL), false, 200, 5000, 10)
                .signedRecently());
    }

    @Test
    void aChainWithoutCreatedBlocksOrAHostWithoutEntriesIsDoubt() throws Exception {
        TonChainEvidence.Head h = head();
        TonCreatorStats empty = new TonCreatorStats(Map.of());
        NodeException stalled = assertThrows(NodeException.class,
                () -> TonChainEvidence.judge(h, current(), none(), empty, Set.of(OUR_ADNL), false, 3, 5000, 10));
        assertTrue(stalled.getMessage().contains("list no block created"), stalled.getMessage());
        TonCreatorStats stats = TonCreatorStats.parse(fixture("recentcreatorstats.txt"), "stats");
        assertThrows(NodeException.class, () -> TonChainEvidence.judge(h, current(), none(), stats, Set.of(), false, 3, 5000, 10));
        Evidence bid = TonChainEvidence.judge(h, current(), none(), stats, Set.of(OUR_ADNL), true, 3, 5000, 10);
        assertTrue(bid.inNextSet(), "an entry of a later election: the validator bid");
    }

    private static Evidence judgeQuiet(TonCreatorStats stats, TonChainEvidence.Head h, long quietS) throws Exception {
        return TonChainEvidence.judge(h, current(), none(), quietFor(stats, h, quietS), Set.of(OUR_ADNL), false, 3, 5000, 10);
    }

    /** The fixture's statistics with our key's last block {@code quietS} before the head (its rate unchanged). */
    private static TonCreatorStats quietFor(TonCreatorStats stats, TonChainEvidence.Head h, long quietS) {
        TonCreatorStats.Creator c = stats.byPubkey().get(OUR_KEY);
        long at = h.createdAt() - quietS;
        return withOurs(stats, new TonCreatorStats.Creator(new TonCreatorStats.Counter(at, c.mc().total(), c.mc().cnt2048()),
                new TonCreatorStats.Counter(at, c.shard().total(), c.shard().cnt2048())));
    }

    private static TonCreatorStats withOurs(TonCreatorStats stats, TonCreatorStats.Creator ours) {
        Map<String, TonCreatorStats.Creator> m = new java.util.HashMap<>(stats.byPubkey());
        m.put(OUR_KEY, ours);
        return new TonCreatorStats(m);
    }
}
