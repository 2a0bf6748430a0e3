package dev.understudy.coordination;

import com.fasterxml.jackson.databind.JsonNode;
import dev.understudy.cli.BadInputException;
import dev.understudy.common.Json;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;

/** The checks a switchover target must pass, shared by the command that asks and the holder that hands over. */
public final class Switchover {
    /** A status older than this means the target's agent is not running. */
    static final Duration STATUS_FRESH = Duration.ofSeconds(5);

    private Switchover() {
    }

    /** Null when the target can take the role now; otherwise why not, in words for the operator. */
    public static String targetNotReady(Etcd etcd, UnaryOperator<String> key, String target, Duration within) throws EtcdException {
        Optional<Etcd.KeyValue> kv = etcd.get(key.apply("status/" + target), within);
        if (kv.isEmpty()) {
            return target + "'s agent publishes no status (not running, or cut off from etcd)";
        }
        JsonNode s;
        try {
            s = Json.parseObject(kv.get().value().getBytes(), "status of " + target);
        } catch (BadInputException e) {
            return target + "'s status is unreadable: " + e.getMessage();
        }
        long age = System.currentTimeMillis() - s.path("updatedAtMs").asLong();
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
}
