package dev.understudy.simnet.chain;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.understudy.simnet.Json;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.LongPredicate;
import java.util.function.LongUnaryOperator;

/**
 * One validator's votes, round by round — who signed, in which round each vote arrived — and what the verdict reads
 * from them: signed and missed rounds, gaps, late votes, double signs. {@link ChainState} checks a vote before it
 * gets here and holds this under its lock.
 */
final class VoteLedger {
    /** A vote counts for liveness when it arrives in its own round or the next one; later ones are "late". */
    static final int ON_TIME_ROUNDS = 1;

    private static final class RoundVotes {
        final Map<String, Long> signers = new LinkedHashMap<>();
        boolean onTime;
    }

    private final TreeMap<Long, RoundVotes> rounds = new TreeMap<>();
    private long lateVotes;
    /** The highest signing-role epoch any vote carried (0: none did). */
    private long highestEpoch;

    /** Records a vote that arrived in round {@code atRound}: duplicate, accepted, or double_sign (a second signer). */
    String add(long round, String signer, long atRound, long epoch) {
        RoundVotes rv = rounds.computeIfAbsent(round, k -> new RoundVotes());
        if (rv.signers.containsKey(signer)) {
            return "duplicate";
        }
        highestEpoch = Math.max(highestEpoch, epoch);
        rv.signers.put(signer, atRound);
        if (atRound <= round + ON_TIME_ROUNDS) {
            rv.onTime = true;
        } else {
            lateVotes++;
        }
        return rv.signers.size() > 1 ? "double_sign" : "accepted";
    }

    boolean has(long round, String signer) {
        RoundVotes rv = rounds.get(round);
        return rv != null && rv.signers.containsKey(signer);
    }

    Set<String> signers(long round) {
        RoundVotes rv = rounds.get(round);
        return rv == null ? Set.of() : rv.signers.keySet();
    }

    long highestEpoch() {
        return highestEpoch;
    }

    long lastVoteRound() {
        return rounds.isEmpty() ? -1 : rounds.lastKey();
    }

    long lastOnTimeRound() {
        for (Map.Entry<Long, RoundVotes> e : rounds.descendingMap().entrySet()) {
            if (e.getValue().onTime) {
                return e.getKey();
            }
        }
        return -1;
    }

    /**
     * Liveness over [from, to] (rounds {@code inSet} only): in the set, signed on time, missed, the longest run of
     * missed rounds; safety over [from, safetyTo]: every round signed by more than one signer instance.
     */
    void summarize(ObjectNode n, long from, long to, long safetyTo, LongPredicate inSet) {
        long roundsInSet = 0;
        long signed = 0;
        long missed = 0;
        long gap = 0;
        long longestGap = 0;
        long longestGapStart = -1;
        long lastSigned = -1;
        for (long r = from; r <= to; r++) {
            if (!inSet.test(r)) {
                gap = 0;
                continue;
            }
            roundsInSet++;
            RoundVotes rv = rounds.get(r);
            if (rv != null && rv.onTime) {
                signed++;
                lastSigned = r;
                gap = 0;
            } else {
                missed++;
                gap++;
                if (gap > longestGap) {
                    longestGap = gap;
                    longestGapStart = r - gap + 1;
                }
            }
        }
        ArrayNode dsRounds = Json.MAPPER.createArrayNode();
        Set<String> signers = new TreeSet<>();
        long late = 0;
        for (Map.Entry<Long, RoundVotes> e : rounds.subMap(from, true, Math.max(from, safetyTo), true).entrySet()) {
            signers.addAll(e.getValue().signers.keySet());
            if (e.getValue().signers.size() > 1) {
                dsRounds.add(e.getKey());
            }
            for (long at : e.getValue().signers.values()) {
                if (at > e.getKey() + ON_TIME_ROUNDS) {
                    late++;
                }
            }
        }
        n.put("fromRound", from);
        n.put("toRound", to);
        n.put("roundsInSet", roundsInSet);
        n.put("signedRounds", signed);
        n.put("missedRounds", missed);
        n.put("longestGapRounds", longestGap);
        n.put("longestGapStartRound", longestGapStart);
        n.put("lastSignedRoundInRange", lastSigned);
        n.put("safetyToRound", safetyTo);
        n.put("doubleSigns", dsRounds.size());
        ArrayNode shown = n.putArray("doubleSignRounds");
        for (int i = 0; i < Math.min(dsRounds.size(), 100); i++) {
            shown.add(dsRounds.get(i));
        }
        n.put("lateVotes", late);
        n.set("signerInstances", Json.MAPPER.valueToTree(signers));
    }

    /** Per round of [from, to]: in the set, the signers with the round each vote arrived in, on time, double sign. */
    void roundsInto(ArrayNode out, long from, long to, LongPredicate inSet, LongUnaryOperator periodOf) {
        for (long r = from; r <= to; r++) {
            ObjectNode n = out.addObject();
            n.put("round", r);
            n.put("period", periodOf.applyAsLong(r));
            n.put("inSet", inSet.test(r));
            RoundVotes rv = rounds.get(r);
            ArrayNode s = n.putArray("signers");
            if (rv != null) {
                rv.signers.forEach((signer, at) -> s.addObject().put("signer", signer).put("atRound", at));
            }
            n.put("onTime", rv != null && rv.onTime);
            n.put("doubleSign", rv != null && rv.signers.size() > 1);
        }
    }
}
