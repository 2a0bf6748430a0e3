package dev.understudy.coordination;

import com.fasterxml.jackson.databind.JsonNode;
import dev.understudy.cli.BadInputException;
import dev.understudy.common.Json;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
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

    /** Null when the target can take the role now; otherwise why not, in words for the operator. Reads its status. */
    public static String targetNotReady(Etcd etcd, UnaryOperator<String> key, String target, Duration within) throws EtcdException {
        Optional<Etcd.KeyValue> kv = etcd.get(key.apply(Snapshot.STATUS + target), within);
        if (kv.isEmpty()) {
            return notReady(target, null, System.currentTimeMillis());
        }
        try {
            return notReady(target, Json.parseObject(kv.get().value().getBytes(), "status of " + target), System.currentTimeMillis());
        } catch (BadInputException e) {
            return target + "'s status is unreadable: " + e.getMessage();
        }
    }

    /** Null when the target, whose published status is {@code s} (null: none), can take the role now; else why not. */
    public static String notReady(String target, JsonNode s, long nowMs) {
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
