package dev.understudy.identity;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.understudy.cli.BaseCommand;
import dev.understudy.cli.Command;
import dev.understudy.cli.Exit;
import dev.understudy.cli.Io;
import dev.understudy.cli.Options;
import dev.understudy.common.FileTrees;
import dev.understudy.common.Json;
import dev.understudy.config.Config;
import java.nio.file.Path;
import java.util.List;

/** {@code keys init} and {@code keys show}: a host's identity for bundle encryption and signing. */
public final class KeysCommands {
    private KeysCommands() {
    }

    public static List<Command> all() {
        return List.of(new Init(), new Show());
    }

    static org.apache.commons.cli.Options common() {
        return new org.apache.commons.cli.Options()
                .addOption(Options.config())
                .addOption(Options.value("dir", "DIR", "identity directory (default: identity_dir from the config, "
                        + "else /etc/understudy/identity)"))
                .addOption(Options.flag("json", "print JSON"));
    }

    static Path dirOrDefault(Options o) throws Exception {
        if (o.has("dir")) {
            return Path.of(o.get("dir"));
        }
        if (FileTrees.exists(o.configPath())) {
            return Config.load(o.configPath()).identityDir();
        }
        return Path.of("/etc/understudy/identity");
    }

    static void print(Io io, ObjectNode d, boolean json) {
        if (json) {
            io.out().println(Json.prettyString(d));
            return;
        }
        io.out().println("recipient:  " + d.get("recipient").asText());
        io.out().println("verify key: " + d.get("verify_key").asText());
        if (d.hasNonNull("next")) {
            io.out().println("next recipient:  " + d.get("next").get("recipient").asText() + "  (rotation under way)");
            io.out().println("next verify key: " + d.get("next").get("verify_key").asText());
        }
        d.get("retired").forEach(r -> io.out().println("retired recipient: " + r.get("recipient").asText()));
    }

    /** keys init. */
    static final class Init extends BaseCommand {
        @Override
        public String name() {
            return "keys init";
        }

        @Override
        public String summary() {
            return "create this host's identity (age X25519 + Ed25519), print its public keys";
        }

        @Override
        protected org.apache.commons.cli.Options options() {
            return common()
                    .addOption(Options.flag("force", "replace an existing identity (bundles encrypted to it become unreadable here)"))
                    .addOption(Options.value("owner", "USER", "make the files owned by USER (the service user)"));
        }

        @Override
        protected int execute(Options o, Io io) throws Exception {
            IdentityStore store = new IdentityStore(dirOrDefault(o));
            store.init(o.has("force"), o.get("owner"));
            print(io, store.describe(), o.has("json"));
            return Exit.OK;
        }
    }

    /** keys show. */
    static final class Show extends BaseCommand {
        @Override
        public String name() {
            return "keys show";
        }

        @Override
        public String summary() {
            return "print this host's public keys (and those of a rotation under way)";
        }

        @Override
        protected org.apache.commons.cli.Options options() {
            return common();
        }

        @Override
        protected int execute(Options o, Io io) throws Exception {
            print(io, new IdentityStore(dirOrDefault(o)).describe(), o.has("json"));
            return Exit.OK;
        }
    }
}
