package dev.understudy.node;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.understudy.cli.BadInputException;
import dev.understudy.cli.BaseCommand;
import dev.understudy.cli.Exit;
import dev.understudy.cli.Io;
import dev.understudy.cli.Options;
import dev.understudy.common.Json;
import dev.understudy.config.Config;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code node access}: what the agent of this host writes and which systemd units it drives, from the config: the
 * state directory, the adapter's key, config and election-file directories, {@code node.unit}, the services a
 * {@code systemctl} fence command names and the adapter's own units. The role makes the agent unit's
 * {@code ReadWritePaths=} and the polkit rule for the agent's user from it, so the sandbox follows the configured
 * paths instead of a second list kept by hand.
 */
public final class AccessCommand extends BaseCommand {
    @Override
    public String name() {
        return "node access";
    }

    @Override
    public String summary() {
        return "print, as JSON, the directories the agent writes and the node units it starts and stops (for its sandbox)";
    }

    @Override
    protected org.apache.commons.cli.Options options() {
        return new org.apache.commons.cli.Options().addOption(Options.config());
    }

    @Override
    protected int execute(Options o, Io io) throws Exception {
        Config c = Config.load(o.configPath());
        if (!c.hasNode()) {
            throw new BadInputException(o.configPath() + ": node: not configured on this host (only main and backup run an agent)");
        }
        Access a = of(c, NodeAdapters.create(c), NodeAdapters.unit(c));
        ObjectNode out = Json.object();
        ArrayNode writes = out.putArray("writes");
        a.writes().forEach(p -> writes.add(p.toString()));
        ArrayNode units = out.putArray("units");
        a.units().forEach(units::add);
        io.out().println(Json.MAPPER.writeValueAsString(out));
        return Exit.OK;
    }

    /**
     * The state directory, an emulated watchdog's directory and the adapter's directories; {@code node.unit}, a
     * {@code systemctl} fence command's services and the adapter's units. A watchdog device needs no entry:
     * {@code /dev} stays writable.
     */
    public static Access of(Config c, NodeAdapter node, NodeUnit unit) throws BadInputException {
        List<Path> writes = new ArrayList<>(List.of(c.stateDir()));
        var wd = c.coordination().watchdog();
        if (wd.driver().equals("file")) {
            writes.addAll(Access.parents(List.of(wd.path())));
        }
        List<String> units = new ArrayList<>();
        if (unit != null) {
            units.add(unit.name());
        }
        // a fence command that is a systemctl call runs as the agent's user too: its units must be allowed
        List<String> fence = c.coordination().fenceCommand();
        if (!fence.isEmpty() && Path.of(fence.get(0)).getFileName().toString().equals("systemctl")) {
            fence.stream().skip(1).filter(a -> !a.startsWith("-") && a.endsWith(".service")).forEach(units::add);
        }
        return new Access(writes, units).plus(node.access());
    }
}
