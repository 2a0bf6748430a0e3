package dev.understudy.node;

import dev.understudy.cli.BadInputException;
import dev.understudy.config.Config;
import dev.understudy.config.Section;
import dev.understudy.node.command.CommandAdapter;
import dev.understudy.node.simnet.SimnetAdapter;

/** Builds the adapter named in {@code node.adapter} from its section of the config. */
public final class NodeAdapters {
    private NodeAdapters() {
    }

    public static NodeAdapter create(Config config) throws BadInputException {
        Section node = config.node();
        String kind = node.choice("adapter", null, "simnet", "command");
        NodeAdapter a = switch (kind) {
            case "simnet" -> SimnetAdapter.fromConfig(config.validator(), node.section("simnet"));
            case "command" -> CommandAdapter.fromConfig(config.validator(), node.section("command"));
            default -> throw node.error("adapter", "unknown adapter '" + kind + "'");
        };
        node.done();
        return a;
    }
}
