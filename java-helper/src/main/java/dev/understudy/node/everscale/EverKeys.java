package dev.understudy.node.everscale;

import com.fasterxml.jackson.databind.JsonNode;
import dev.understudy.node.Fields;
import dev.understudy.node.NodeException;
import java.util.ArrayList;
import java.util.List;

/**
 * The validator keys inside ever-node's {@code configs/config.json}: {@code validator_keys[]} (election id, key id,
 * ADNL key id) whose private keys are in {@code validator_key_ring} — so copying config.json copies the signing
 * keys. Every key id an entry names must be in the key ring, or a standby given this file could not sign.
 */
public final class EverKeys {
    public record Entry(long electionId, String validatorKeyId, String adnlKeyId) {
    }


    private EverKeys() {
    }

    /** The entries with an election id of at least {@code fromElectionId}, in file order. */
    public static List<Entry> entries(byte[] configJson, long fromElectionId, String src) throws NodeException {
        return entries(Fields.object(configJson, src), fromElectionId, src);
    }

    /** As {@link #entries(byte[], long, String)}, of an already parsed config.json (or the adapter's plan). */
    public static List<Entry> entries(JsonNode root, long fromElectionId, String src) throws NodeException {
        JsonNode keys = root.get("validator_keys");
        if (keys == null || keys.isNull()) {
            return List.of();
        }
        if (!keys.isArray()) {
            throw NodeException.badOutput(src + ": field 'validator_keys' is not a list");
        }
        JsonNode ring = root.get("validator_key_ring");
        if (ring == null || !ring.isObject()) {
            throw NodeException.badOutput(src + ": field 'validator_key_ring' missing or not an object");
        }
        List<Entry> out = new ArrayList<>();
        int i = 0;
        for (JsonNode k : keys) {
            String at = src + ": validator_keys[" + i++ + "]";
            long election = Fields.integer(k, "election_id", at);
            if (election < fromElectionId) {
                continue;
            }
            String key = Fields.text(k, "validator_key_id", at);
            String adnl = Fields.text(k, "validator_adnl_key_id", at);
            for (String id : List.of(key, adnl)) {
                if (!ring.has(id)) {
                    throw NodeException.badOutput(at + ": key " + id + " is not in validator_key_ring");
                }
            }
            out.add(new Entry(election, key, adnl));
        }
        return out;
    }
}
