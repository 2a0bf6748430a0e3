package dev.understudy.simnet.chain;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.understudy.simnet.BadInputException;
import dev.understudy.simnet.Ed25519;
import dev.understudy.simnet.Json;
import dev.understudy.simnet.Messages;
import java.util.Base64;
import java.util.Map;
import java.util.function.LongFunction;
import java.util.function.Predicate;

/** Whether a vote may be recorded; {@link ChainState} asks under its lock, with its schedule and sets. */
final class VoteCheck {
    private VoteCheck() {
    }

    /**
     * Checks a vote against the chain at round {@code current} and fills {@code record} with it: a JSON object,
     * a round neither in the future nor beyond the late-vote horizon, the period of its round, a known validator in
     * that period's set from that round on, and an Ed25519 signature by the key registered for it. Each refusal
     * names what is wrong.
     */
    static ObjectNode check(JsonNode vote, String src, long current, Schedule schedule, String chainId, Predicate<String> known,
            LongFunction<Map<String, ChainState.Member>> setOf, ObjectNode record) throws BadInputException {
        if (!vote.isObject()) {
            throw new BadInputException(src + ": expected a JSON object, got " + vote.getNodeType());
        }
        String name = Json.text(vote, "validator", src);
        long round = Json.integer(vote, "round", src);
        long period = Json.integer(vote, "period", src);
        String signer = Json.text(vote, "signer", src);
        long epoch = vote.has("epoch") ? Json.integer(vote, "epoch", src) : 0;
        if (epoch < 0) {
            throw new BadInputException(src + ": epoch " + epoch + " is negative");
        }
        if (signer.length() > 64) {
            throw new BadInputException(src + ": field 'signer' is longer than 64 characters");
        }
        byte[] sig = base64(Json.text(vote, "signature", src), src + " field 'signature'");
        if (round < 0) {
            throw new BadInputException(src + ": round " + round + " is negative");
        }
        if (round > current) {
            throw new BadInputException(src + ": round " + round + " is in the future (the chain is at round " + current + ")");
        }
        if (round < current - schedule.lateHorizonRounds()) {
            throw new BadInputException(src + ": round " + round + " is beyond the late-vote horizon ("
                    + schedule.lateHorizonRounds() + " rounds; the chain is at round " + current + ")");
        }
        if (period != schedule.periodOf(round)) {
            throw new BadInputException(src + ": period " + period + " does not match round " + round
                    + " (which is in period " + schedule.periodOf(round) + ")");
        }
        if (!known.test(name)) {
            throw new BadInputException(src + ": unknown validator '" + name + "'");
        }
        ChainState.Member m = setOf.apply(period).get(name);
        if (m == null) {
            throw new BadInputException(src + ": validator '" + name + "' is not in the set of period " + period);
        }
        if (round < m.from()) {
            throw new BadInputException(src + ": validator '" + name + "' joined period " + period + " from round "
                    + m.from() + ", not round " + round);
        }
        if (!Ed25519.verify(m.key(), Messages.vote(chainId, round, period, signer, epoch), sig)) {
            throw new BadInputException(src + ": signature does not verify against the key registered for validator '"
                    + name + "' in period " + period + " (key " + m.keyId() + ")");
        }
        ObjectNode r = record;
        r.put("validator", name).put("round", round).put("period", period).put("signer", signer)
                .put("signature", Base64.getEncoder().encodeToString(sig));
        if (epoch > 0) {
            r.put("epoch", epoch);
        }
        return r;
    }

    static byte[] base64(String text, String source) throws BadInputException {
        try {
            return Base64.getDecoder().decode(text);
        } catch (IllegalArgumentException e) {
            throw new BadInputException(source + ": not base64: " + e.getMessage(), e);
        }
    }
}
