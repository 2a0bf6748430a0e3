package dev.understudy.cli;

import java.util.ArrayList;
import java.util.List;

/** The registry of sub-commands, in the order --help lists them. */
final class Commands {
    private Commands() {
    }

    static List<Command> all() {
        List<Command> all = new ArrayList<>();
        all.addAll(dev.understudy.identity.KeysCommands.all());
        all.add(new dev.understudy.config.ConfigCheckCommand());
        all.add(new dev.understudy.node.NodeCheckCommand());
        all.add(new dev.understudy.node.AccessCommand());
        all.addAll(dev.understudy.transfer.SyncCommands.all());
        all.addAll(dev.understudy.identity.RotateKeysCommands.all());
        all.addAll(dev.understudy.coordination.CoordinationCommands.all());
        all.add(new dev.understudy.watchdog.WatchdogCommand());
        all.add(new dev.understudy.alert.AlertTestCommand());
        all.add(new SelfTestCommand());
        return all;
    }
}
