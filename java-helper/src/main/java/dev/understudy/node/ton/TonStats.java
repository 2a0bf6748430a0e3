package dev.understudy.node.ton;

import dev.understudy.node.NodeException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The validator console's {@code getstats} answer: {@code key<TAB…>value} lines. Out of sync is
 * max(unixtime − masterchainblocktime, masterchain seqno − shard client seqno), as mytonctrl computes it;
 * the node validates while {@code active_validator_groups} is present, and {@code total.validated_blocks.master}
 * counts the masterchain blocks it validated (rising while it signs).
 */
public record TonStats(long unixtime, long masterchainBlockTime, long masterchainSeqno, long shardClientSeqno,
        boolean activeValidatorGroups, long validatedMasterOk) {

    private static final Pattern BLOCK_ID = Pattern.compile("\\(-1,[0-9a-fA-F]+,(\\d+)\\).*");
    private static final Pattern OK_COUNT = Pattern.compile(".*\\bok:(\\d+).*");

    /** Seconds (or masterchain blocks) the node is behind. */
    public long outOfSync() {
        return Math.max(unixtime - masterchainBlockTime, masterchainSeqno - shardClientSeqno);
    }

    /** Parses the console's output; {@code src} names where it came from in every error. */
    public static TonStats parse(String output, String src) throws NodeException {
        Objects.requireNonNull(output, "output required");
        Map<String, String> kv = new LinkedHashMap<>();
        for (String line : output.split("\n")) {
            String l = line.strip();
            if (l.isEmpty()) {
                continue;
            }
            String[] parts = l.split("\\s+", 2);
            if (parts.length == 2) {
                kv.putIfAbsent(parts[0], parts[1].strip());
            }
        }
        long unixtime = number(kv, "unixtime", src);
        long blockTime = number(kv, "masterchainblocktime", src);
        String block = required(kv, "masterchainblock", src);
        Matcher m = BLOCK_ID.matcher(block);
        if (!m.matches()) {
            throw NodeException.badOutput(src + ": field 'masterchainblock' is not a masterchain block id "
                    + "(-1,SHARD,SEQNO):…, got '" + shorten(block) + "'");
        }
        long seqno = Long.parseLong(m.group(1));
        long shardClient = number(kv, "shardclientmasterchainseqno", src);
        boolean active = kv.containsKey("active_validator_groups");
        long validated = 0;
        String counts = kv.get("total.validated_blocks.master");
        if (counts != null) {
            Matcher c = OK_COUNT.matcher(counts);
            if (!c.matches()) {
                throw NodeException.badOutput(src + ": field 'total.validated_blocks.master' expected 'ok:N error:M', got '"
                        + shorten(counts) + "'");
            }
            validated = Long.parseLong(c.group(1));
        }
        return new TonStats(unixtime, blockTime, seqno, shardClient, active, validated);
    }

    private static String required(Map<String, String> kv, String key, String src) throws NodeException {
        String v = kv.get(key);
        if (v == null) {
            throw NodeException.badOutput(src + ": field '" + key + "' missing");
        }
        return v;
    }

    private static long number(Map<String, String> kv, String key, String src) throws NodeException {
        String v = required(kv, key, src);
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw NodeException.badOutput(src + ": field '" + key + "' expected an integer, got '" + shorten(v) + "'");
        }
    }

    private static String shorten(String s) {
        return s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }
}
