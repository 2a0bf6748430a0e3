package dev.understudy.config;

import dev.understudy.cli.BaseCommand;
import dev.understudy.cli.Exit;
import dev.understudy.cli.Io;
import dev.understudy.cli.Options;
import dev.understudy.node.NodeAdapters;
import java.nio.file.Path;

/** {@code config check}: parse a config file and its adapter section; used by Ansible's validate. */
public final class ConfigCheckCommand extends BaseCommand {
    @Override
    public String name() {
        return "config check";
    }

    @Override
    public String summary() {
        return "check a configuration file (exit 65 naming the key and what is expected)";
    }

    @Override
    protected org.apache.commons.cli.Options options() {
        return new org.apache.commons.cli.Options().addOption(Options.config())
                .addOption(Options.value("file", "FILE", "the file to check (overrides --config)"));
    }

    @Override
    protected int execute(Options o, Io io) throws Exception {
        Path f = o.has("file") ? Path.of(o.get("file")) : o.configPath();
        Config c = Config.load(f);
        if (c.hasNode()) {
            NodeAdapters.create(c);
        }
        if (c.alerts() != null) {
            // every channel's keys, and each secret it names present in the secrets file
            c.alerts().channels("understudy://" + c.host());
        }
        if (c.self().role() != HostEntry.Role.MONITOR && !c.hasNode()) {
            throw new dev.understudy.cli.BadInputException(f + ": node: is required on a " + c.self().role().text() + " host");
        }
        io.out().println(f + ": ok (validator " + c.validator() + ", host " + c.host() + ", " + c.hosts().size() + " hosts)");
        return Exit.OK;
    }
}
