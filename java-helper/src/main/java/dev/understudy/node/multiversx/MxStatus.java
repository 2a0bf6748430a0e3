package dev.understudy.node.multiversx;

import com.fasterxml.jackson.databind.JsonNode;
import dev.understudy.node.Fields;
import dev.understudy.node.NodeException;

/**
 * mx-chain-go's {@code GET /node/status}: {@code data.metrics} with {@code erd_is_syncing} (0/1), {@code erd_nonce},
 * {@code erd_current_round}, {@code erd_epoch_number}, {@code erd_peer_type}, {@code erd_redundancy_level} and
 * {@code erd_redundancy_is_main_active} ("true"/"false").
 */
public record MxStatus(boolean syncing, long nonce, long round, long epoch, String peerType, long redundancyLevel,
        boolean mainActive) {

    /** The node's key is in the set that signs this epoch. */
    public boolean eligible() {
        return "eligible".equals(peerType);
    }

    public static MxStatus parse(String body, String src) throws NodeException {
        return parse(Fields.object(body, src), src);
    }

    /** As {@link #parse(String, String)}, of an answer already read as JSON. */
    public static MxStatus parse(JsonNode root, String src) throws NodeException {
        JsonNode data = root.get("data");
        JsonNode m = data == null ? null : data.get("metrics");
        if (m == null || !m.isObject()) {
            String error = root.path("error").asText("");
            throw NodeException.badOutput(src + ": field 'data.metrics' missing" + (error.isEmpty() ? "" : " (error: " + error + ")"));
        }
        String at = src + ": data.metrics";
        long syncing = Fields.integer(m, "erd_is_syncing", at);
        if (syncing != 0 && syncing != 1) {
            throw NodeException.badOutput(at + ": field 'erd_is_syncing' expected 0 or 1, got " + syncing);
        }
        String mainActive = Fields.text(m, "erd_redundancy_is_main_active", at);
        if (!mainActive.equals("true") && !mainActive.equals("false")) {
            throw NodeException.badOutput(at + ": field 'erd_redundancy_is_main_active' expected \"true\" or \"false\", got '"
                    + mainActive + "'");
        }
        return new MxStatus(syncing == 1, Fields.integer(m, "erd_nonce", at), Fields.integer(m, "erd_current_round", at),
                Fields.integer(m, "erd_epoch_number", at), Fields.text(m, "erd_peer_type", at),
                Fields.integer(m, "erd_redundancy_level", at), mainActive.equals("true"));
    }
}
