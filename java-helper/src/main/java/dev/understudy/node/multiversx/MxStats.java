package dev.understudy.node.multiversx;

import com.fasterxml.jackson.databind.JsonNode;
import dev.understudy.node.Fields;
import dev.understudy.node.NodeException;
import java.util.Locale;

/**
 * One BLS key's entry of mx-chain-go's {@code GET /validator/statistics} ({@code data.statistics.<key>}): the
 * cumulative counts of rounds in which the key was due as leader or validator and signed ({@code totalNum*Success})
 * or did not ({@code totalNum*Failure}), and its {@code validatorStatus} (eligible, waiting, jailed, …).
 */
public record MxStats(long success, long failure, String validatorStatus) {

    public static MxStats parse(JsonNode root, String blsKey, String src) throws NodeException {
        JsonNode all = root.path("data").path("statistics");
        if (!all.isObject()) {
            String error = root.path("error").asText("");
            throw NodeException.badOutput(src + ": field 'data.statistics' missing" + (error.isEmpty() ? "" : " (error: " + error + ")"));
        }
        JsonNode k = all.get(blsKey.toLowerCase(Locale.ROOT));
        if (k == null) {
            throw NodeException.badOutput(src + ": the validator key " + blsKey.substring(0, Math.min(16, blsKey.length()))
                    + "… is not in data.statistics (wrong node, network or key?)");
        }
        String at = src + ": data.statistics." + blsKey.substring(0, Math.min(16, blsKey.length())) + "…";
        return new MxStats(Fields.integer(k, "totalNumLeaderSuccess", at) + Fields.integer(k, "totalNumValidatorSuccess", at),
                Fields.integer(k, "totalNumLeaderFailure", at) + Fields.integer(k, "totalNumValidatorFailure", at),
                Fields.text(k, "validatorStatus", at));
    }
}
