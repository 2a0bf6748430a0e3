package dev.understudy.coordination;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.understudy.cli.BadInputException;
import dev.understudy.common.AtomicFiles;
import dev.understudy.common.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What this host last knew about its own role ({@code STATE/role.json}), written by the agent: whether it
 * holds the signing role and under which epoch (the leader key's create revision). Absent before the agent
 * first ran.
 */
public record LocalRole(boolean known, boolean holder, long epoch, String since) {
    public static final String FILE = "role.json";

    public static LocalRole read(Path stateDir) throws IOException, BadInputException {
        Path f = stateDir.resolve(FILE);
        if (!Files.exists(f)) {
            return new LocalRole(false, false, 0, null);
        }
        ObjectNode n = Json.parseObject(Files.readAllBytes(f), f.toString());
        return new LocalRole(true, n.path("holder").asBoolean(false), n.path("epoch").asLong(0), n.path("since").asText(null));
    }

    public void write(Path stateDir) throws IOException {
        ObjectNode n = Json.object();
        n.put("holder", holder).put("epoch", epoch).put("since", since);
        AtomicFiles.write(stateDir.resolve(FILE), Json.pretty(n));
    }
}
