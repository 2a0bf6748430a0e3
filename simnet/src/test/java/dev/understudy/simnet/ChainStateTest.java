package dev.understudy.simnet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.understudy.simnet.chain.ChainState;
import dev.understudy.simnet.chain.Genesis;
import dev.understudy.simnet.chain.RecordLog;
import dev.understudy.simnet.chain.Schedule;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The chain's rules on a controlled clock: elections, votes, double signs, late votes, records. */
class ChainStateTest {
    static final long ROUND_MS = 1000;
    static final int PERIOD = 20;
    static final int ELECTION = 8;
    static final int HORIZON = 30;
    static final String CHAIN = "simnet-test";

    @TempDir
    Path dir;
    final AtomicLong clock = new AtomicLong(1_000_000);
    Genesis genesis;
    RecordLog log;
    ChainState chain;
    final Ed25519 wallet = Ed25519.generate();

    @BeforeEach
    void start() throws Exception {
        genesis = new Genesis(CHAIN, new Schedule(clock.get(), ROUND_MS, PERIOD, ELECTION, HORIZON));
        reopen();
    }

    @AfterEach
    void stop() throws Exception {
        log.close();
    }

    void reopen() throws Exception {
        if (log != null) {
            log.close();
        }
        List<JsonNode> records = new ArrayList<>();
        log = RecordLog.open(dir, records);
        chain = new ChainState(genesis, log, clock::get);
        chain.replay(records);
    }

    void atRound(long round) {
        clock.set(genesis.schedule().roundStartMillis(round) + 10);
    }

    ObjectNode bid(String validator, long period, Ed25519 key, Ed25519 walletKey) {
        String msg = Messages.bid(CHAIN, validator, period, key.publicHex());
        ObjectNode b = Json.object();
        b.put("validator", validator).put("period", period).put("key", key.publicHex()).put("wallet", walletKey.publicHex());
        b.put("walletSignature", Base64.getEncoder().encodeToString(walletKey.sign(msg)));
        b.put("keySignature", Base64.getEncoder().encodeToString(key.sign(msg)));
        return b;
    }

    static ObjectNode vote(String validator, long round, long period, String signer, Ed25519 key) {
        ObjectNode v = Json.object();
        v.put("validator", validator).put("round", round).put("period", period).put("signer", signer);
        v.put("signature", Base64.getEncoder().encodeToString(key.sign(Messages.vote(CHAIN, round, period, signer, 0))));
        return v;
    }

    JsonNode send(ObjectNode... votes) throws Exception {
        ObjectNode body = Json.object();
        ArrayNode a = body.putArray("votes");
        for (ObjectNode v : votes) {
            a.add(v);
        }
        return chain.votes(body);
    }

    /** Joins validator v1 in the genesis period at round 0; it may vote from round 1. */
    Ed25519 join(String validator) throws Exception {
        atRound(0);
        Ed25519 k = Ed25519.generate();
        JsonNode res = chain.bid(bid(validator, 0, k, wallet));
        assertEquals(1, res.get("from").asLong());
        return k;
    }

    @Test
    void electionPublishesTheNextSetWithTheFreshKey() throws Exception {
        Ed25519 k0 = join("v1");
        Schedule s = genesis.schedule();
        atRound(s.electionOpens(1) - 1);
        BadInputException early = assertThrows(BadInputException.class, () -> chain.bid(bid("v1", 1, Ed25519.generate(), wallet)));
        assertTrue(early.getMessage().contains("not open"), early.getMessage());
        atRound(s.electionOpens(1));
        Ed25519 k1 = Ed25519.generate();
        chain.bid(bid("v1", 1, k1, wallet));
        assertFalse(chain.status().get("nextSet").get("published").asBoolean());
        atRound(s.electionCloses(1));
        JsonNode st = chain.status();
        assertTrue(st.get("nextSet").get("published").asBoolean());
        assertEquals(k1.keyId(), st.get("nextSet").get("members").get(0).get("keyId").asText());
        assertNotEquals(k0.keyId(), k1.keyId());
        atRound(PERIOD);
        assertEquals(k1.keyId(), chain.status().get("currentSet").get(0).get("keyId").asText());
        // the old period's key no longer signs
        JsonNode refused = send(vote("v1", PERIOD, 1, "a", k0)).get(0);
        assertEquals("refused", refused.get("status").asText());
        assertTrue(refused.get("error").asText().contains("does not verify"), refused.toString());
        assertEquals("accepted", send(vote("v1", PERIOD, 1, "a", k1)).get(0).get("status").asText());
    }

    @Test
    void aValidatorThatDidNotBidLeavesTheSet() throws Exception {
        join("v1");
        Ed25519 w2 = Ed25519.generate();
        atRound(0);
        chain.bid(bid("v2", 0, Ed25519.generate(), w2));
        atRound(genesis.schedule().electionOpens(1));
        chain.bid(bid("v1", 1, Ed25519.generate(), wallet));
        atRound(PERIOD + 1);
        JsonNode set = chain.status().get("currentSet");
        assertEquals(1, set.size());
        assertEquals("v1", set.get(0).get("validator").asText());
        JsonNode v2 = chain.validatorStats("v2");
        assertFalse(v2.get("inCurrentSet").asBoolean());
        // rounds outside the set are not counted as missed
        assertEquals(PERIOD - 1, v2.get("roundsInSet").asLong());
        assertEquals(PERIOD - 1, v2.get("missedRounds").asLong());
    }

    @Test
    void freshKeyRequiredAndWalletMustMatch() throws Exception {
        Ed25519 k0 = join("v1");
        atRound(genesis.schedule().electionOpens(1));
        BadInputException reused = assertThrows(BadInputException.class, () -> chain.bid(bid("v1", 1, k0, wallet)));
        assertTrue(reused.getMessage().contains("fresh key"), reused.getMessage());
        BadInputException stolen = assertThrows(BadInputException.class,
                () -> chain.bid(bid("v1", 1, Ed25519.generate(), Ed25519.generate())));
        assertTrue(stolen.getMessage().contains("registered wallet"), stolen.getMessage());
        ObjectNode forged = bid("v1", 1, Ed25519.generate(), wallet);
        forged.put("keySignature", Base64.getEncoder().encodeToString(Ed25519.generate().sign("x")));
        BadInputException pop = assertThrows(BadInputException.class, () -> chain.bid(forged));
        assertTrue(pop.getMessage().contains("keySignature"), pop.getMessage());
    }

    @Test
    void twoSignerInstancesOnOneRoundAreADoubleSign() throws Exception {
        Ed25519 k = join("v1");
        atRound(3);
        assertEquals("accepted", send(vote("v1", 3, 0, "main-1", k)).get(0).get("status").asText());
        assertEquals("duplicate", send(vote("v1", 3, 0, "main-1", k)).get(0).get("status").asText());
        assertEquals("double_sign", send(vote("v1", 3, 0, "backup-1", k)).get(0).get("status").asText());
        atRound(6);
        JsonNode sum = chain.summary("v1", null, null);
        assertEquals(1, sum.get("doubleSigns").asLong());
        assertEquals(3, sum.get("doubleSignRounds").get(0).asLong());
        JsonNode ev = chain.events(0, 100);
        assertEquals("double_sign", ev.get(ev.size() - 1).get("type").asText());
    }

    @Test
    void oneSignerAloneHasNoDoubleSignAndGapsAreMeasured() throws Exception {
        Ed25519 k = join("v1");
        for (long r = 1; r <= 10; r++) {
            if (r >= 4 && r <= 6) {
                continue;
            }
            atRound(r);
            assertEquals("accepted", send(vote("v1", r, 0, "main-1", k)).get(0).get("status").asText());
        }
        atRound(12);
        JsonNode sum = chain.summary("v1", 1L, 10L);
        assertEquals(0, sum.get("doubleSigns").asLong());
        assertEquals(7, sum.get("signedRounds").asLong());
        assertEquals(3, sum.get("missedRounds").asLong());
        assertEquals(3, sum.get("longestGapRounds").asLong());
        assertEquals(4, sum.get("longestGapStartRound").asLong());
    }

    @Test
    void aStallHoldsTheRoundInProgressAndRoundsGoOnAfterItAlsoAfterARestart() throws Exception {
        Ed25519 k = join("v1");
        atRound(4);
        JsonNode st = chain.stall(Json.object().put("ms", 5000));
        long from = st.get("fromMillis").asLong();
        assertEquals(genesis.schedule().roundStartMillis(6), from, "announced two rounds ahead, at a round's start");
        assertEquals(6, st.get("stalledRound").asLong());
        BadInputException twice = assertThrows(BadInputException.class, () -> chain.stall(Json.object().put("ms", 2000)));
        assertTrue(twice.getMessage().contains("already planned"), twice.getMessage());
        clock.set(from + 10);
        assertEquals(6, chain.currentRound());
        assertEquals("accepted", send(vote("v1", 6, 0, "main-1", k)).get(0).get("status").asText());
        clock.set(from + 4900);
        assertEquals(6, chain.currentRound(), "no round starts during the stall");
        assertTrue(chain.status().get("stalled").asBoolean());
        clock.set(from + 5900);
        assertEquals(6, chain.currentRound(), "the round in progress lasts the stall longer");
        assertFalse(chain.status().get("stalled").asBoolean());
        assertTrue(send(vote("v1", 7, 0, "main-1", k)).get(0).get("error").asText().contains("future"));
        reopen();
        assertEquals(6, chain.currentRound(), "the stall is in the record: a restarted chain keeps it");
        clock.set(from + 5000 + ROUND_MS + 10);
        assertEquals(7, chain.currentRound());
        assertEquals(from + 5000 + ROUND_MS, chain.schedule().roundStartMillis(7));
        assertEquals(1, chain.status().get("stalls").size());
        assertEquals("accepted", send(vote("v1", 7, 0, "main-1", k)).get(0).get("status").asText());
        for (long ms : new long[] {ROUND_MS - 1, 600_001}) {
            BadInputException e = assertThrows(BadInputException.class, () -> chain.stall(Json.object().put("ms", ms)));
            assertTrue(e.getMessage().contains("field 'ms'"), e.getMessage());
        }
    }

    @Test
    void roundStartsAndRoundsAgreeAroundStalls() {
        Schedule s = new Schedule(1_000_000, ROUND_MS, PERIOD, ELECTION, HORIZON)
                .withStall(new Schedule.Stall(1_005_000, 1_012_500))
                .withStall(new Schedule.Stall(1_020_300, 1_021_000));
        for (long r = 0; r < 30; r++) {
            long start = s.roundStartMillis(r);
            assertEquals(r, s.roundAt(start), "round " + r + " at its start " + start);
            if (r > 0) {
                assertEquals(r - 1, s.roundAt(start - 1), "round " + (r - 1) + " just before " + start);
            }
        }
        assertEquals(5, s.roundAt(1_011_000), "the round in progress when the stall began lasts through it");
        assertEquals(1_013_500, s.roundStartMillis(6));
        assertThrows(IllegalArgumentException.class, () -> s.withStall(new Schedule.Stall(1_020_900, 1_030_000)),
                "stalls do not overlap");
    }

    @Test
    void lateVotesAreAcceptedWithinTheHorizonAndStillCatchADoubleSign() throws Exception {
        Ed25519 k = join("v1");
        atRound(5);
        send(vote("v1", 5, 0, "backup-1", k));
        atRound(5 + HORIZON);
        JsonNode res = send(vote("v1", 5, 0, "main-cut-off", k), vote("v1", 4, 0, "main-cut-off", k));
        assertEquals("double_sign", res.get(0).get("status").asText());
        assertEquals("refused", res.get(1).get("status").asText());
        assertTrue(res.get(1).get("error").asText().contains("horizon"), res.toString());
        JsonNode sum = chain.summary("v1", null, null);
        assertEquals(1, sum.get("doubleSigns").asLong());
        assertEquals(1, sum.get("lateVotes").asLong());
        // a late vote does not count as signed on time: round 5 was signed on time by backup-1 only
        JsonNode rounds = chain.rounds("v1", 5, 5);
        assertTrue(rounds.get(0).get("onTime").asBoolean());
        assertEquals(2, rounds.get(0).get("signers").size());
    }

    @Test
    void badVotesAreRefusedWithSpecificErrors() throws Exception {
        Ed25519 k = join("v1");
        atRound(5);
        ObjectNode tampered = vote("v1", 4, 0, "s", k);
        tampered.put("round", 3);
        ObjectNode noRound = vote("v1", 4, 0, "s", k);
        noRound.remove("round");
        JsonNode res = send(tampered, vote("v1", 6, 0, "s", k), vote("v1", 4, 1, "s", k), vote("nobody", 4, 0, "s", k),
                vote("v1", 4, 0, "s", Ed25519.generate()), noRound, vote("v1", 0, 0, "s", k));
        String[] expected = {"does not verify", "in the future", "does not match round", "unknown validator",
            "does not verify", "field 'round' is required", "joined period 0 from round 1"};
        for (int i = 0; i < expected.length; i++) {
            assertEquals("refused", res.get(i).get("status").asText(), res.get(i).toString());
            assertTrue(res.get(i).get("error").asText().contains(expected[i]), res.get(i).toString());
        }
        assertThrows(BadInputException.class, () -> chain.votes(Json.object().put("votes", "nope")));
        // nothing refused was recorded
        atRound(8);
        assertEquals(0, chain.summary("v1", null, null).get("signedRounds").asLong());
    }

    @Test
    void restartRebuildsEverythingFromTheRecords() throws Exception {
        Ed25519 k = join("v1");
        for (long r = 1; r <= 5; r++) {
            atRound(r);
            send(vote("v1", r, 0, "a", k));
        }
        send(vote("v1", 5, 0, "b", k));
        atRound(genesis.schedule().electionOpens(1));
        chain.bid(bid("v1", 1, Ed25519.generate(), wallet));
        atRound(genesis.schedule().electionCloses(1));
        JsonNode before = chain.validatorStats("v1");
        long records = chain.status().get("records").asLong();
        reopen();
        JsonNode after = chain.validatorStats("v1");
        assertEquals(before, after);
        assertEquals(records, chain.status().get("records").asLong());
        assertEquals(1, after.get("doubleSigns").asLong());
    }

    @Test
    void aCorruptRecordLineIsReportedByNumberAndTheChainRefusesToStart() throws Exception {
        Ed25519 k = join("v1");
        atRound(2);
        send(vote("v1", 2, 0, "a", k));
        log.close();
        Path file = dir.resolve(RecordLog.FILE);
        List<String> lines = new ArrayList<>(Files.readAllLines(file));
        lines.add(1, "{\"t\":\"vote\",\"validator\":");
        Files.write(file, lines);
        byte[] damaged = Files.readAllBytes(file);
        BadInputException e = assertThrows(BadInputException.class, this::reopen);
        assertTrue(e.getMessage().contains("line 2"), e.getMessage());
        assertArrayEqualsBytes(damaged, Files.readAllBytes(file));
        log = null;

        Files.write(file, lines.subList(0, 1));
        Files.write(file, "{\"t\":\"vote\"".getBytes(StandardCharsets.UTF_8), StandardOpenOption.APPEND);
        BadInputException trunc = assertThrows(BadInputException.class, this::reopen);
        assertTrue(trunc.getMessage().contains("line 2") && trunc.getMessage().contains("truncated"), trunc.getMessage());
        log = null;

        Files.write(file, List.of(lines.get(0), "{\"t\":\"bogus\"}"));
        BadInputException unknown = assertThrows(BadInputException.class, this::reopen);
        assertTrue(unknown.getMessage().contains("line 2") && unknown.getMessage().contains("bogus"), unknown.getMessage());
        log = RecordLog.open(dir, new ArrayList<>());
    }

    private static void assertArrayEqualsBytes(byte[] a, byte[] b) {
        assertEquals(new String(a, StandardCharsets.UTF_8), new String(b, StandardCharsets.UTF_8));
    }
}
