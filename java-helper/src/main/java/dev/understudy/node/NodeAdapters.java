package dev.understudy.node;

import dev.understudy.cli.BadInputException;
import dev.understudy.config.Config;
import dev.understudy.config.Section;
import dev.understudy.node.command.CommandAdapter;
import dev.understudy.node.everscale.EverAdapter;
import dev.understudy.node.multiversx.MxAdapter;
import dev.understudy.node.simnet.SimnetAdapter;
import dev.understudy.node.ton.TonAdapter;

/** Builds the adapter named in {@code node.adapter} from its section of the config, and the node's unit. */
public final class NodeAdapters {
    private NodeAdapters() {
    }

    public static NodeAdapter create(Config config) throws BadInputException {
        Section node = config.node();
        String kind = node.choice("adapter", null, "simnet", "command", "ton", "everscale", "multiversx");
        boolean monitor = config.self().role() == dev.understudy.config.HostEntry.Role.MONITOR;
        NodeAdapter a = switch (kind) {
            case "simnet" -> SimnetAdapter.fromConfig(config.validator(), node.section("simnet"));
            case "command" -> CommandAdapter.fromConfig(config.validator(), node.section("command"));
            case "ton" -> TonAdapter.fromConfig(config.validator(), config.stateDir(), node.section("ton"), monitor);
            case "everscale" -> EverAdapter.fromConfig(config.validator(), config.stateDir(), node.section("everscale"), monitor);
            case "multiversx" -> MxAdapter.fromConfig(node.section("multiversx"));
            default -> throw node.error("adapter", "unknown adapter '" + kind + "'");
        };
        NodeUnit.fromConfig(node);
        node.done();
        return a;
    }

    /** The node's systemd unit ({@code node.unit}); null when none is configured or this host runs no node. */
    public static NodeUnit unit(Config config) throws BadInputException {
        return config.hasNode() ? NodeUnit.fromConfig(config.node()) : null;
    }
}
