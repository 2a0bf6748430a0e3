package dev.understudy.transfer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.understudy.cli.BadInputException;
import dev.understudy.common.AtomicFiles;
import dev.understudy.common.FileTrees;
import dev.understudy.common.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/** {@code STATE/push.json}: the last sequence number used, and per peer the key set last delivered and its acknowledgement. */
final class PushState {
    static final String FILE = "push.json";

    /**
     * What went to a peer: the key set, the bundle and when, and whether the peer acknowledged accepting it
     * (a state file written before acknowledgements existed counts as acknowledged).
     */
    record Delivered(String fingerprint, long seq, String at, String bundle, boolean acked) {
        Delivered acknowledged() {
            return new Delivered(fingerprint, seq, at, bundle, true);
        }
    }

    /** A peer this host refuses to send to because its SSH host key is unknown or changed. */
    record Refused(String message, String at) {
    }

    long lastSeq;
    final Map<String, Delivered> delivered = new TreeMap<>();
    final Map<String, Refused> refused = new TreeMap<>();

    static PushState read(Path stateDir) throws IOException, BadInputException {
        PushState s = new PushState();
        Path f = stateDir.resolve(FILE);
        if (FileTrees.exists(f)) {
            ObjectNode n = Json.parseObject(Files.readAllBytes(f), f.toString());
            s.lastSeq = n.path("lastSeq").asLong();
            n.path("refused").fields().forEachRemaining(e -> s.refused.put(e.getKey(),
                    new Refused(e.getValue().path("message").asText(), e.getValue().path("at").asText())));
            for (java.util.Iterator<Map.Entry<String, JsonNode>> it = n.path("delivered").fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                JsonNode v = e.getValue();
                s.delivered.put(e.getKey(), new Delivered(v.path("fingerprint").asText(), v.path("seq").asLong(),
                        v.path("at").asText(), v.path("bundle").asText(""), v.path("acked").asBoolean(true)));
            }
        }
        return s;
    }

    void write(Path stateDir) throws IOException {
        ObjectNode n = Json.object();
        n.put("lastSeq", lastSeq);
        ObjectNode d = n.putObject("delivered");
        delivered.forEach((k, v) -> d.putObject(k).put("fingerprint", v.fingerprint()).put("seq", v.seq()).put("at", v.at())
                .put("bundle", v.bundle()).put("acked", v.acked()));
        ObjectNode r = n.putObject("refused");
        refused.forEach((k, v) -> r.putObject(k).put("message", v.message()).put("at", v.at()));
        AtomicFiles.write(stateDir.resolve(FILE), Json.pretty(n));
    }
}
