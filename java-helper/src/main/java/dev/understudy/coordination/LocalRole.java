package dev.understudy.coordination;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.understudy.cli.BadInputException;
import dev.understudy.common.AtomicFiles;
import dev.understudy.common.FileTrees;
import dev.understudy.common.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What this host last knew about its own role ({@code STATE/role.json}), written by the agent: whether it
 * holds the signing role and under which epoch (the leader key's create revision), and the last epoch under
 * which it held the role at all ({@code lastHeldEpoch}: its node's keys are at least that new, so a bundle made
 * under a later epoch carries keys the chain has seen since). Absent before the agent first ran.
 *
 * @param lastHeldEpoch 0 when this host never held the role, {@link #UNKNOWN} in a file written before the
 *     field existed
 */
public record LocalRole(boolean known, boolean holder, long epoch, long lastHeldEpoch, String since) {
    public static final String FILE = "role.json";
    /** An older agent's file: how new the node's keys are is not known, so they are never replaced. */
    public static final long UNKNOWN = -1;

    public static LocalRole read(Path stateDir) throws IOException, BadInputException {
        Path f = stateDir.resolve(FILE);
        if (!FileTrees.exists(f)) {
            return new LocalRole(false, false, 0, 0, null);
        }
        // the guard reads it as root in the service user's directory: no link, no FIFO, nothing large
        ObjectNode n = Json.parseObject(FileTrees.readRegular(f, 64 * 1024), f.toString());
        boolean holder = n.path("holder").asBoolean(false);
        long epoch = n.path("epoch").asLong(0);
        long lastHeld = n.has("lastHeldEpoch") ? n.path("lastHeldEpoch").asLong(0) : holder ? epoch : UNKNOWN;
        return new LocalRole(true, holder, epoch, lastHeld, n.path("since").asText(null));
    }

    public void write(Path stateDir) throws IOException {
        ObjectNode n = Json.object();
        n.put("holder", holder).put("epoch", epoch).put("lastHeldEpoch", lastHeldEpoch).put("since", since);
        AtomicFiles.write(stateDir.resolve(FILE), Json.pretty(n));
    }
}
