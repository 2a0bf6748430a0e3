package dev.understudy.coordination;

import com.fasterxml.jackson.databind.JsonNode;
import dev.understudy.cli.BadInputException;
import dev.understudy.common.Json;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * The checks a switchover target must pass, shared by the command that asks and the holder that hands over, and
 * whether a standby's keys are those the holder signs with.
 */
public final class Switchover {
    /** A status older than this means the target's agent is not running. */
    static final Duration STATUS_FRESH = Duration.ofSeconds(5);

    private Switchover() {
    }

    /**
     * What the command sees of a target before it asks: why it refuses (null: it asks), and which keys the target
     * says it still lacks (null: none). A lag is no refusal: the holder compares the target's keys with its own,
     * pushes and hands over once they arrived (within the command's timeout).
     */
    public record TargetCheck(String refusal, String keysLag) {
    }

    /** Reads the target's status and checks it. */
    public static TargetCheck checkTarget(Etcd etcd, UnaryOperator<String> key, String target, Duration within) throws EtcdException {
        Optional<Etcd.KeyValue> kv = etcd.get(key.apply(Snapshot.STATUS + target), within);
        JsonNode s = null;
        if (kv.isPresent()) {
            try {
                s = Json.parseObject(kv.get().value().getBytes(), "status of " + target);
            } catch (BadInputException e) {
                return new TargetCheck(target + "'s status is unreadable: " + e.getMessage(), null);
            }
        }
        String why = nodeNotReady(target, s, System.currentTimeMillis());
        return why != null ? new TargetCheck(why, null) : new TargetCheck(null, keysLag(target, s));
    }

    /** Null when the target's status says its keys are those of the last holder and cover the current period. */
    static String keysLag(String target, JsonNode s) {
        for (String which : List.of("currentBehind", "nextBehind")) {
            if (s.path("keys").has(which)) {
                return target + ": " + s.path("keys").path(which).asText();
            }
        }
        if (!s.path("keys").path("current").asBoolean(false)) {
            return target + " holds no verified keys for the current period " + s.path("currentPeriod").asLong();
        }
        return null;
    }

    /**
     * Null when the target (status {@code s}, null: none) has an agent that publishes a fresh status and a node that
     * answers and is synced; else why not, in words for the operator. Its keys are judged apart: the holder compares
     * them with its own ({@link #lacksKeys}).
     */
    static String nodeNotReady(String target, JsonNode s, long nowMs) {
        if (s == null) {
            return target + "'s agent publishes no status (not running, or cut off from etcd)";
        }
        long age = nowMs - s.path("updatedAtMs").asLong();
        if (age > STATUS_FRESH.toMillis()) {
            return target + "'s status is " + age / 1000 + " s old (its agent is stuck or cut off)";
        }
        if (s.has("nodeError")) {
            return target + "'s node does not answer: " + s.path("nodeError").asText();
        }
        if (!s.path("synced").asBoolean(false)) {
            return target + "'s node is not synced (" + s.path("lagRounds").asLong() + " rounds behind)";
        }
        return null;
    }

    /**
     * The holder's own test of a switchover target: null when the key ids the target publishes for each period
     * include every id the holder signs (or bid) with for it ({@code mine}, from its own node: the truth, where the
     * target's {@code currentBehind}/{@code nextBehind} compare with a status of the holder that may be older, e.g.
     * from before an election that just ran); otherwise which period's keys it lacks.
     */
    static String lacksKeys(String target, JsonNode s, Map<Long, List<String>> mine) {
        for (Map.Entry<Long, List<String>> e : mine.entrySet()) {
            if (e.getValue().isEmpty()) {
                continue;
            }
            List<String> theirs = new ArrayList<>();
            s.path("keys").path("ids").path(Long.toString(e.getKey())).forEach(n -> theirs.add(n.asText()));
            if (!new HashSet<>(theirs).containsAll(e.getValue())) {
                return target + " lacks the keys for period " + e.getKey() + " this host signs with (its " + theirs + ", this host's "
                        + e.getValue() + ")";
            }
        }
        return null;
    }

    /**
     * Null when this host's key ids for the period include those {@code holder} signs with (its fresh status's
     * {@code keys.ids}), or when those are not known; otherwise why not.
     */
    static String keysBehind(String holder, JsonNode holderStatus, long period, List<String> mine, long nowMs) {
        if (holderStatus == null || nowMs - holderStatus.path("updatedAtMs").asLong() > STATUS_FRESH.toMillis()) {
            return null;
        }
        JsonNode ids = holderStatus.path("keys").path("ids").path(Long.toString(period));
        if (!ids.isArray() || ids.isEmpty()) {
            return null;
        }
        List<String> theirs = new ArrayList<>();
        ids.forEach(n -> theirs.add(n.asText()));
        if (new HashSet<>(mine).containsAll(theirs)) {
            return null;
        }
        return "the keys for period " + period + " are not those " + holder + " signs with (its " + theirs + ", this host's " + mine
                + "); waiting for its newer bundle";
    }
}
