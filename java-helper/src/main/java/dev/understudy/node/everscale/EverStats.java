package dev.understudy.node.everscale;

import com.fasterxml.jackson.databind.JsonNode;
import dev.understudy.node.Fields;
import dev.understudy.node.NodeException;
import java.util.Set;

/**
 * ever-node's {@code console -j -c getstats}: {@code sync_status} ({@code synchronization_finished} when synced),
 * {@code timediff} (seconds behind), {@code validation_status} ({@code Disabled|Waiting|Countdown|Active}),
 * {@code in_current_vset_p34}, {@code in_next_vset_p36}, and {@code masterchainblocknumber} when present (−1 when not).
 */
public record EverStats(String syncStatus, long timediff, String validationStatus, boolean inCurrentSet, boolean inNextSet,
        long masterchainBlock) {
    public static final Set<String> VALIDATION_STATUSES = Set.of("Disabled", "Waiting", "Countdown", "Active");

    public boolean synced(long thresholdS) {
        return "synchronization_finished".equals(syncStatus) && timediff < thresholdS;
    }

    /** The node validates (signs) now. */
    public boolean active() {
        return "Active".equals(validationStatus);
    }

    public static EverStats parse(String output, String src) throws NodeException {
        JsonNode n = Fields.object(output, src);
        String validation = Fields.text(n, "validation_status", src);
        if (!VALIDATION_STATUSES.contains(validation)) {
            throw NodeException.badOutput(src + ": field 'validation_status' expected one of Disabled, Waiting, Countdown, Active, got '"
                    + validation + "'");
        }
        return new EverStats(Fields.text(n, "sync_status", src), Fields.integer(n, "timediff", src), validation,
                Fields.bool(n, "in_current_vset_p34", src), Fields.bool(n, "in_next_vset_p36", src),
                n.has("masterchainblocknumber") ? Fields.integer(n, "masterchainblocknumber", src) : -1);
    }
}
