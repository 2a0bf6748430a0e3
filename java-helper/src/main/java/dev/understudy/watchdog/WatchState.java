package dev.understudy.watchdog;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.understudy.common.AtomicFiles;
import dev.understudy.common.Json;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/** What the watchdog remembers between checks ({@code STATE/watchdog.json}). */
public final class WatchState {
    String lastHolder;
    long lastEpoch;
    long demotedEpoch;
    /** The chain's count of the validator's double signs at the last check; -1 before the first. */
    long lastDoubleSigns = -1;
    /** Since when two hosts report signing (their own view); -1 when not. */
    long bothSigningSinceMs = -1;
    final Map<String, Long> keysMissingSinceMs = new TreeMap<>();
    final Map<String, Long> pendingSinceMs = new TreeMap<>();

    public static WatchState read(Path file) throws IOException {
        WatchState w = new WatchState();
        ObjectNode n = Json.readStateOrSetAside(file, org.apache.logging.log4j.LogManager.getLogger(WatchState.class));
        if (n == null) {
            return w;
        }
        w.lastHolder = n.path("lastHolder").isNull() ? null : n.path("lastHolder").asText(null);
        w.lastEpoch = n.path("lastEpoch").asLong();
        w.demotedEpoch = n.path("demotedEpoch").asLong();
        w.lastDoubleSigns = n.path("lastDoubleSigns").asLong(-1);
        w.bothSigningSinceMs = n.path("bothSigningSinceMs").asLong(-1);
        n.path("keysMissingSinceMs").fields().forEachRemaining(e -> w.keysMissingSinceMs.put(e.getKey(), e.getValue().asLong()));
        n.path("pendingSinceMs").fields().forEachRemaining(e -> w.pendingSinceMs.put(e.getKey(), e.getValue().asLong()));
        return w;
    }

    public void write(Path file) throws IOException {
        ObjectNode n = Json.object();
        n.put("lastHolder", lastHolder).put("lastEpoch", lastEpoch).put("demotedEpoch", demotedEpoch).put("lastDoubleSigns", lastDoubleSigns)
                .put("bothSigningSinceMs", bothSigningSinceMs);
        ObjectNode k = n.putObject("keysMissingSinceMs");
        keysMissingSinceMs.forEach(k::put);
        ObjectNode p = n.putObject("pendingSinceMs");
        pendingSinceMs.forEach(p::put);
        AtomicFiles.write(file, Json.pretty(n));
    }
}
