package dev.understudy.node.everscale;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.understudy.node.Evidence;
import dev.understudy.node.Fields;
import dev.understudy.node.KeyIds;
import dev.understudy.node.NodeException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.function.LongSupplier;
import java.util.regex.Pattern;

/**
 * The chain's view of an Everscale validator key from the blocks' signatures, as a GraphQL endpoint serves them
 * (docs/adapters.md, "The chain's view (everscale)"). Every masterchain block carries the signatures of the one before
 * it ({@code master.prev_blk_signatures}), one per signing validator, named by the key's short id (the SHA-256 of its
 * TL-serialised public key, {@code pub.ed25519}, which is also what ever-node's config.json calls
 * {@code validator_key_id}); {@code blocks_signatures} holds the signatures of every block, shard blocks included.
 * One query asks for the newest {@code rounds + 1} masterchain blocks with their signatures, the newest key block's
 * validator sets (p34 current, p36 next) and this key's newest signature of any block in the last
 * {@code silenceS} seconds. A key among the set's first {@code main} validators signs every masterchain block, so it is
 * silent when none of the window's blocks carries its signature and it signed no block in the window's time; any
 * other key signs only its shard groups' blocks, so it is silent after {@code silenceS} seconds without a signature.
 * Rounds are masterchain seqnos. Double signs are not in the data (0).
 */
final class EverChainEvidence {
    static final Pattern KEY_ID = Pattern.compile("[0-9a-f]{64}");
    /** {@code pub.ed25519 key:int256 = PublicKey}'s constructor id, little-endian, as TL serialises it. */
    private static final byte[] PUB_ED25519 = {(byte) 0xc6, (byte) 0xb4, 0x13, 0x48};

    private final GraphqlEndpoint endpoint;
    private final long blockMs;
    private final long silenceS;
    private final long maxLagS;
    private final LongSupplier nowSeconds;

    /** {@code maxLagS}: an endpoint whose newest masterchain block is older than this is behind the chain (doubt). */
    EverChainEvidence(GraphqlEndpoint endpoint, long blockMs, long silenceS, long maxLagS, LongSupplier nowSeconds) {
        this.endpoint = endpoint;
        this.blockMs = blockMs;
        this.silenceS = silenceS;
        this.maxLagS = maxLagS;
        this.nowSeconds = nowSeconds;
    }

    /** The key's short id (lower-case hex) from its 32-byte public key. */
    static String keyIdOfPublicKey(byte[] publicKey) {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            d.update(PUB_ED25519);
            d.update(publicKey);
            return HexFormat.of().formatHex(d.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** config.json's base64 key id as the hex the signatures use; null when it is not 32 bytes of base64. */
    static String keyIdHex(String base64) {
        try {
            return KeyIds.hex(base64, "validator_key_id").toLowerCase(java.util.Locale.ROOT);
        } catch (NodeException e) {
            return null;
        }
    }

    /** The query; {@code ids} are checked key ids, the only text put into it. */
    static String query(int rounds, Set<String> ids, long since) {
        StringBuilder in = new StringBuilder();
        for (String id : ids.stream().sorted().toList()) {
            in.append(in.length() == 0 ? "" : ", ").append('"').append(id).append('"');
        }
        String newest = "orderBy: [{path: \"seq_no\", direction: DESC}]";
        return "{ mc: blocks(filter: {workchain_id: {eq: -1}}, " + newest + ", limit: " + (rounds + 1) + ")"
                + " { seq_no gen_utime master { prev_blk_signatures { node_id } } }"
                + " key: blocks(filter: {workchain_id: {eq: -1}, key_block: {eq: true}}, " + newest + ", limit: 1)"
                + " { seq_no master { config { p34 { utime_since main list { public_key } } p36 { utime_since list { public_key } } } } }"
                + " own: blocks_signatures(filter: {gen_utime: {ge: " + since + "}, signatures: {any: {node_id: {in: [" + in + "]}}}},"
                + " orderBy: [{path: \"gen_utime\", direction: DESC}], limit: 1) { seq_no workchain_id gen_utime } }";
    }

    /**
     * Asks the endpoint and judges the key.
     *
     * @param ids the key ids (hex) of this validator's entries on this host, or, on the monitor, those the agents published
     * @param bidForNext an entry of ours is for an election after the current set's (the election scripts bid)
     */
    Evidence evidence(int rounds, Set<String> ids, java.util.function.LongPredicate bidForNext) throws NodeException {
        if (ids.isEmpty()) {
            throw NodeException.badOutput("no validator entry on this host (config.json and the replay plan have none) and no key id"
                    + " published by an agent: cannot tell which signatures are this validator's");
        }
        for (String id : ids) {
            if (!KEY_ID.matcher(id).matches()) {
                throw new IllegalArgumentException("not a key id: " + id);
            }
        }
        long since = Math.max(0, nowSeconds.getAsLong() - silenceS - maxLagS);
        ObjectNode data = endpoint.query(query(rounds, ids, since));
        return judge(data, rounds, ids, bidForNext);
    }

    private record Block(long seqno, long genUtime, List<String> prevSignatures) {
    }

    Evidence judge(ObjectNode data, int rounds, Set<String> ids, java.util.function.LongPredicate bidForNext) throws NodeException {
        String src = endpoint.source();
        List<Block> mc = new ArrayList<>();
        int i = 0;
        for (JsonNode b : list(data, "mc", src)) {
            String at = src + ": mc[" + i++ + "]";
            List<String> sigs = new ArrayList<>();
            for (JsonNode s : b.path("master").path("prev_blk_signatures")) {
                sigs.add(Fields.text(s, "node_id", at + ".master.prev_blk_signatures").toLowerCase(java.util.Locale.ROOT));
            }
            mc.add(new Block(Fields.integer(b, "seq_no", at), Fields.integer(b, "gen_utime", at), sigs));
        }
        if (mc.isEmpty()) {
            throw NodeException.badOutput(src + ": no masterchain block in the answer");
        }
        Block head = mc.get(0);
        long lag = nowSeconds.getAsLong() - head.genUtime();
        if (lag > maxLagS) {
            throw NodeException.unavailable(src + ": its newest masterchain block (" + head.seqno() + ") is " + lag
                    + " s old: the endpoint is behind the chain", null);
        }
        List<JsonNode> key = list(data, "key", src);
        if (key.isEmpty()) {
            throw NodeException.badOutput(src + ": no key block in the answer (the validator sets p34 and p36 come from it)");
        }
        JsonNode config = key.get(0).path("master").path("config");
        JsonNode p34 = config.path("p34");
        if (!p34.isObject()) {
            throw NodeException.badOutput(src + ": key[0].master.config.p34 missing: cannot tell the current validator set");
        }
        List<String> current = keyIds(p34, src + ": key[0].master.config.p34");
        long main = Fields.integer(p34, "main", src + ": key[0].master.config.p34");
        long currentSince = Fields.integer(p34, "utime_since", src + ": key[0].master.config.p34");
        JsonNode p36 = config.path("p36");
        boolean inNext = bidForNext.test(currentSince)
                || p36.isObject() && keyIds(p36, src + ": key[0].master.config.p36").stream().anyMatch(ids::contains);
        int position = -1;
        for (int k = 0; k < current.size() && position < 0; k++) {
            position = ids.contains(current.get(k)) ? k : -1;
        }
        // the newest masterchain block whose successor carries our signature, and our newest signature of any block
        long mcVote = -1;
        for (Block b : mc) {
            if (mcVote < 0 && b.prevSignatures().stream().anyMatch(ids::contains)) {
                mcVote = b.seqno() - 1;
            }
        }
        List<JsonNode> own = list(data, "own", src);
        long ownAt = own.isEmpty() ? -1 : Fields.integer(own.get(0), "gen_utime", src + ": own[0]");
        long windowS = Math.max(1, rounds * blockMs / 1000);
        boolean mainValidator = position >= 0 && position < main;
        long quietLimitS = mainValidator ? windowS : Math.max(windowS, silenceS);
        boolean signedRecently = mcVote >= 0 || ownAt >= 0 && head.genUtime() - ownAt < quietLimitS;
        long lastVote = mcVote >= 0 ? mcVote
                : ownAt >= 0 ? Math.max(0, head.seqno() - Math.max(0, head.genUtime() - ownAt) * 1000 / blockMs) : -1;
        return new Evidence(signedRecently, lastVote, lastVote, head.seqno(), rounds, position >= 0, inNext, signedRecently ? 1 : 0, 0, 0,
                blockMs);
    }

    private static List<JsonNode> list(ObjectNode data, String field, String src) throws NodeException {
        JsonNode v = data.get(field);
        if (v == null || !v.isArray()) {
            throw NodeException.badOutput(src + ": field '" + field + "' missing or not a list");
        }
        List<JsonNode> out = new ArrayList<>();
        v.forEach(out::add);
        return out;
    }

    /** The key ids of a validator set's {@code list[].public_key} (64 hex digits each), in list order. */
    private static List<String> keyIds(JsonNode set, String src) throws NodeException {
        JsonNode l = set.get("list");
        if (l == null || !l.isArray()) {
            throw NodeException.badOutput(src + ": field 'list' missing or not a list");
        }
        List<String> out = new ArrayList<>();
        int i = 0;
        for (JsonNode v : l) {
            String pk = Fields.text(v, "public_key", src + ".list[" + i++ + "]");
            if (!KEY_ID.matcher(pk.toLowerCase(java.util.Locale.ROOT)).matches()) {
                throw NodeException.badOutput(src + ".list[" + (i - 1) + "]: public_key expected 64 hex digits");
            }
            out.add(keyIdOfPublicKey(HexFormat.of().parseHex(pk)));
        }
        return out;
    }
}
