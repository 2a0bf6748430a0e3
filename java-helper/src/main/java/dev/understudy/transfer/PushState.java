package dev.understudy.transfer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.understudy.cli.BadInputException;
import dev.understudy.common.AtomicFiles;
import dev.understudy.common.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/** {@code STATE/push.json}: the last sequence number used, and per peer the key set last delivered. */
final class PushState {
    static final String FILE = "push.json";

    record Delivered(String fingerprint, long seq, String at) {
    }

    long lastSeq;
    final Map<String, Delivered> delivered = new TreeMap<>();

    static PushState read(Path stateDir) throws IOException, BadInputException {
        PushState s = new PushState();
        Path f = stateDir.resolve(FILE);
        if (Files.exists(f)) {
            ObjectNode n = Json.parseObject(Files.readAllBytes(f), f.toString());
            s.lastSeq = n.path("lastSeq").asLong();
            for (java.util.Iterator<Map.Entry<String, JsonNode>> it = n.path("delivered").fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                s.delivered.put(e.getKey(), new Delivered(e.getValue().path("fingerprint").asText(),
                        e.getValue().path("seq").asLong(), e.getValue().path("at").asText()));
            }
        }
        return s;
    }

    void write(Path stateDir) throws IOException {
        ObjectNode n = Json.object();
        n.put("lastSeq", lastSeq);
        ObjectNode d = n.putObject("delivered");
        delivered.forEach((k, v) -> d.putObject(k).put("fingerprint", v.fingerprint()).put("seq", v.seq()).put("at", v.at()));
        AtomicFiles.write(stateDir.resolve(FILE), Json.pretty(n));
    }
}
