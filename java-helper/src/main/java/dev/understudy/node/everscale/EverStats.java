package dev.understudy.node.everscale;

import com.fasterxml.jackson.databind.JsonNode;
import dev.understudy.node.Fields;
import dev.understudy.node.NodeException;
import java.util.Set;

/**
 * ever-node's {@code console -j -c getstats}: {@code sync_status} ({@code synchronization_finished} when synced),
 * {@code timediff} (seconds behind), {@code validation_status} ({@code Disabled|Waiting|Countdown|Active}),
 * {@code in_current_vset_p34}, {@code in_next_vset_p36}, and {@code masterchainblocknumber} when present (−1 when not).
 *
 * <p>A node whose statistics have no {@code validation_status} (ever-node's control server, src/network/control.rs,
 * prints {@code validation_stats} instead: per shard, when this node last validated a block of it, {@code "N sec
 * ago"} or {@code "never"}) counts as {@code Active} while it validated a block in the last {@link #RECENT_S} seconds,
 * and as {@code Disabled} otherwise; the node's statistics start empty at each start, so a node restarted without
 * keys shows none.
 */
public record EverStats(String syncStatus, long timediff, String validationStatus, boolean inCurrentSet, boolean inNextSet,
        long masterchainBlock) {
    public static final Set<String> VALIDATION_STATUSES = Set.of("Disabled", "Waiting", "Countdown", "Active");
    /** How recently a node without {@code validation_status} must have validated a block to count as signing. */
    public static final long RECENT_S = 60;
    private static final java.util.regex.Pattern AGO = java.util.regex.Pattern.compile("(\\d{1,12}) sec ago");

    public boolean synced(long thresholdS) {
        return "synchronization_finished".equals(syncStatus) && timediff < thresholdS;
    }

    /** The node validates (signs) now. */
    public boolean active() {
        return "Active".equals(validationStatus);
    }

    public static EverStats parse(String output, String src) throws NodeException {
        JsonNode n = Fields.object(output, src);
        String validation = n.has("validation_status") ? Fields.text(n, "validation_status", src) : fromValidationStats(n, src);
        if (!VALIDATION_STATUSES.contains(validation)) {
            throw NodeException.badOutput(src + ": field 'validation_status' expected one of Disabled, Waiting, Countdown, Active, got '"
                    + validation + "'");
        }
        return new EverStats(Fields.text(n, "sync_status", src), Fields.integer(n, "timediff", src), validation,
                Fields.bool(n, "in_current_vset_p34", src), Fields.bool(n, "in_next_vset_p36", src),
                n.has("masterchainblocknumber") ? Fields.integer(n, "masterchainblocknumber", src) : -1);
    }

    /** {@code Active} when {@code validation_stats} shows a block validated in the last {@link #RECENT_S} s. */
    private static String fromValidationStats(JsonNode n, String src) throws NodeException {
        JsonNode v = n.get("validation_stats");
        if (v == null || !v.isObject()) {
            throw NodeException.badOutput(src + ": neither field 'validation_status' nor an object 'validation_stats' (when the node "
                    + "last validated each shard)");
        }
        long newest = Long.MAX_VALUE;
        for (java.util.Iterator<java.util.Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext();) {
            java.util.Map.Entry<String, JsonNode> e = it.next();
            String when = e.getValue().asText();
            if (when.equals("never")) {
                continue;
            }
            java.util.regex.Matcher m = AGO.matcher(when);
            if (!m.matches()) {
                throw NodeException.badOutput(src + ": validation_stats." + e.getKey() + " expected 'N sec ago' or 'never', got '"
                        + (when.length() > 40 ? when.substring(0, 37) + "..." : when) + "'");
            }
            newest = Math.min(newest, Long.parseLong(m.group(1)));
        }
        return newest <= RECENT_S ? "Active" : "Disabled";
    }
}
