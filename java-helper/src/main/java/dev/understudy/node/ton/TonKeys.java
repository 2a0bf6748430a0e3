package dev.understudy.node.ton;

import com.fasterxml.jackson.databind.JsonNode;
import dev.understudy.node.Fields;
import dev.understudy.node.KeyIds;
import dev.understudy.node.NodeException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The validator entries of a TON node's {@code db/config.json}: for every entry that has not expired, the
 * keyring files a standby needs (named by the upper-case hex of the 32-byte key hashes of the permanent key,
 * each temp key and each ADNL address), with the election date and expiry to replay {@code addpermkey},
 * {@code addtempkey}, {@code addadnl} and {@code addvalidatoraddr} on the standby.
 */
public final class TonKeys {
    /** One {@code validators[]} entry: ids as upper-case hex (the keyring file names). */
    public record Entry(String permKey, long electionDate, long expireAt, List<Temp> tempKeys, List<Temp> adnlAddrs) {
        public Entry {
            tempKeys = List.copyOf(tempKeys);
            adnlAddrs = List.copyOf(adnlAddrs);
        }

        /** The keyring file names of this entry, permanent key first, without duplicates. */
        public List<String> keyringFiles() {
            Set<String> out = new LinkedHashSet<>();
            out.add(permKey);
            tempKeys.forEach(t -> out.add(t.id()));
            adnlAddrs.forEach(a -> out.add(a.id()));
            return List.copyOf(out);
        }
    }

    /** A temp key or ADNL address with its expiry. */
    public record Temp(String id, long expireAt) {
    }


    private TonKeys() {
    }

    /** The entries of config.json that expire after {@code now} (unix seconds), in file order. */
    public static List<Entry> unexpired(byte[] configJson, long now, String src) throws NodeException {
        JsonNode root = Fields.object(configJson, src);
        JsonNode validators = root.get("validators");
        if (validators == null || validators.isNull()) {
            return List.of();
        }
        if (!validators.isArray()) {
            throw NodeException.badOutput(src + ": field 'validators' is not a list");
        }
        List<Entry> out = new ArrayList<>();
        int i = 0;
        for (JsonNode v : validators) {
            String at = src + ": validators[" + i++ + "]";
            long expire = Fields.integer(v, "expire_at", at);
            if (expire <= now) {
                continue;
            }
            out.add(new Entry(KeyIds.hex(Fields.text(v, "id", at), at + ".id"), Fields.integer(v, "election_date", at), expire,
                    temps(v, "temp_keys", "key", at), temps(v, "adnl_addrs", "id", at)));
        }
        return out;
    }

    private static List<Temp> temps(JsonNode v, String list, String idField, String at) throws NodeException {
        JsonNode arr = v.get(list);
        if (arr == null || !arr.isArray()) {
            throw NodeException.badOutput(at + ": field '" + list + "' missing or not a list");
        }
        List<Temp> out = new ArrayList<>();
        int i = 0;
        for (JsonNode t : arr) {
            String where = at + "." + list + "[" + i++ + "]";
            out.add(new Temp(KeyIds.hex(Fields.text(t, idField, where), where + "." + idField), Fields.integer(t, "expire_at", where)));
        }
        return out;
    }
}
