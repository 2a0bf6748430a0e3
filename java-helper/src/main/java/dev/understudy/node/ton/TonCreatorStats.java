package dev.understudy.node.ton;

import dev.understudy.node.NodeException;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The masterchain's block creator statistics as the lite client prints them for
 * {@code recentcreatorstats <block-id-ext> <start-utime>}: one line per validator public key that created a block
 * after {@code start-utime}, then {@code (complete)}.
 *
 * <p>Formats, from the TON sources: the line is {@code <pubkey hex> mc_cnt:<counter> shard_cnt:<counter>}
 * (lite-client/lite-client.cpp, {@code TestNode::get_creator_stats}); a counter is
 * {@code (counter last_updated:<unixtime> total:<n> cnt2048: <x> cnt65536: <y>)} ({@code DiscountedCounter::show},
 * crypto/block/block.cpp): {@code last_updated} is when the key last created a block of that kind, {@code total}
 * how many it created, and {@code cnt2048} the count decayed with a time constant of 2048 s as of
 * {@code last_updated}, so a key creating r blocks a second has {@code cnt2048} near 2048 r.
 */
public record TonCreatorStats(Map<String, Creator> byPubkey) {
    /** One kind of block (masterchain or shardchain) created by a key. */
    public record Counter(long lastUpdated, long total, double cnt2048) {
    }

    /** A key's masterchain and shardchain counters. */
    public record Creator(Counter mc, Counter shard) {
        /** The last time this key created any block, or −1 when it never did. */
        public long lastCreated() {
            return Math.max(mc.total() > 0 ? mc.lastUpdated() : -1, shard.total() > 0 ? shard.lastUpdated() : -1);
        }

        /** Blocks of both kinds, decayed over 2048 s, as of the key's last block of each kind. */
        public double recent() {
            return mc.cnt2048() + shard.cnt2048();
        }

        /** Blocks of both kinds, decayed over 2048 s up to {@code now} (a key that stopped counts less and less). */
        public double recentAt(long now) {
            return decayed(mc, now) + decayed(shard, now);
        }

        private static double decayed(Counter c, long now) {
            return c.cnt2048() * Math.exp(-Math.max(0, now - c.lastUpdated()) / 2048.0);
        }
    }

    private static final String NUM = "([-+0-9.eE]+|inf|nan)";
    private static final String COUNTER = "\\(counter last_updated:(\\d+) total:(\\d+) cnt2048: " + NUM + " cnt65536: " + NUM + "\\)";
    private static final Pattern LINE = Pattern.compile("([0-9A-Fa-f]{64}) mc_cnt:" + COUNTER + " shard_cnt:" + COUNTER);
    private static final Pattern KEY_FIRST = Pattern.compile("[0-9A-Fa-f]{64}\\s.*");

    public TonCreatorStats {
        byPubkey = Map.copyOf(byPubkey);
    }

    /** Blocks of both kinds created by every listed key, decayed over 2048 s up to {@code now}. */
    public double recentTotalAt(long now) {
        return byPubkey.values().stream().mapToDouble(c -> c.recentAt(now)).sum();
    }

    /** Parses the lite client's answer; {@code src} names where it came from in every error. */
    public static TonCreatorStats parse(String output, String src) throws NodeException {
        Map<String, Creator> out = new LinkedHashMap<>();
        boolean complete = false;
        for (String raw : output.split("\n")) {
            String line = raw.strip();
            if (line.equals("(complete)")) {
                complete = true;
                continue;
            }
            if (line.startsWith("(incomplete")) {
                throw NodeException.badOutput(src + ": the creator statistics are incomplete (" + shorten(line) + ")");
            }
            if (!KEY_FIRST.matcher(line).matches()) {
                continue; // the lite client's own lines: connecting, the latest block, warnings
            }
            Matcher m = LINE.matcher(line);
            if (!m.matches()) {
                throw NodeException.badOutput(src + ": a creator statistics line is not '<pubkey> mc_cnt:(counter last_updated:… "
                        + "total:… cnt2048: … cnt65536: …) shard_cnt:(counter …)': '" + shorten(line) + "'");
            }
            out.put(m.group(1).toUpperCase(Locale.ROOT), new Creator(counter(m, 2, line, src), counter(m, 6, line, src)));
        }
        if (!complete) {
            throw NodeException.badOutput(src + ": no '(complete)' at the end of the creator statistics");
        }
        return new TonCreatorStats(out);
    }

    private static Counter counter(Matcher m, int first, String line, String src) throws NodeException {
        long lastUpdated;
        long total;
        double cnt2048;
        try {
            lastUpdated = Long.parseLong(m.group(first));
            total = Long.parseLong(m.group(first + 1));
            cnt2048 = Double.parseDouble(m.group(first + 2));
        } catch (NumberFormatException e) {
            throw NodeException.badOutput(src + ": a counter field is out of range or not a number in '" + shorten(line) + "'");
        }
        if (!Double.isFinite(cnt2048) || cnt2048 < 0) {
            throw NodeException.badOutput(src + ": cnt2048 must be a finite number ≥ 0 in '" + shorten(line) + "'");
        }
        return new Counter(lastUpdated, total, cnt2048);
    }

    private static String shorten(String s) {
        return s.length() <= 120 ? s : s.substring(0, 117) + "...";
    }
}
