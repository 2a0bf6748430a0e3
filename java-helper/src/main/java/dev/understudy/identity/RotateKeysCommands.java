package dev.understudy.identity;

import dev.understudy.bundle.Bundle;
import dev.understudy.bundle.BundleStore;
import dev.understudy.cli.BaseCommand;
import dev.understudy.cli.CheckFailedException;
import dev.understudy.cli.Command;
import dev.understudy.cli.Exit;
import dev.understudy.cli.Io;
import dev.understudy.cli.Options;
import dev.understudy.common.RunLock;
import dev.understudy.config.Config;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * {@code rotate-keys prepare|commit|retire}: replace a host's identity with no moment in which a stored or
 * in-flight bundle cannot be opened. The playbook ansible/rotate-keys.yml runs the steps in order and updates
 * every peer's trust between them.
 */
public final class RotateKeysCommands {
    private RotateKeysCommands() {
    }

    /** Obtained when a command runs, not when the registry is built: --help and --version stay light. */
    private static Logger log() {
        return LogManager.getLogger(RotateKeysCommands.class);
    }

    public static List<Command> all() {
        return List.of(new Prepare(), new Commit(), new Retire());
    }

    static org.apache.commons.cli.Options common() {
        return new org.apache.commons.cli.Options().addOption(Options.config()).addOption(Options.flag("json", "print JSON"));
    }

    /** Step 1: a new identity beside the current one. */
    static final class Prepare extends BaseCommand {
        @Override
        public String name() {
            return "rotate-keys prepare";
        }

        @Override
        public String summary() {
            return "rotation step 1: make the next identity (peers then trust both)";
        }

        @Override
        protected org.apache.commons.cli.Options options() {
            return common().addOption(Options.value("owner", "USER", "make the files owned by USER"));
        }

        @Override
        protected int execute(Options o, Io io) throws Exception {
            Config c = Config.load(o.configPath());
            IdentityStore ids = new IdentityStore(c.identityDir());
            try (RunLock lock = RunLock.acquire(c.stateDir().resolve("identity.lock"), "key rotation")) {
                ids.prepareNext(o.get("owner"));
            }
            log().info("validator {}: host {} prepared a new identity; peers must now trust both", c.validator(), c.host());
            KeysCommands.print(io, ids.describe(), o.has("json"));
            return Exit.OK;
        }
    }

    /** Step 3: re-encrypt the store to the next identity, then make it current. */
    static final class Commit extends BaseCommand {
        @Override
        public String name() {
            return "rotate-keys commit";
        }

        @Override
        public String summary() {
            return "rotation step 3: re-encrypt stored bundles to the next identity and make it current (again: move stragglers)";
        }

        @Override
        protected org.apache.commons.cli.Options options() {
            return common();
        }

        @Override
        protected int execute(Options o, Io io) throws Exception {
            Config c = Config.load(o.configPath());
            IdentityStore ids = new IdentityStore(c.identityDir());
            BundleStore store = BundleStore.of(c);
            long max = c.sync().maxBundleBytes();
            int n = 0;
            try (RunLock lock = RunLock.acquire(c.stateDir().resolve("identity.lock"), "key rotation");
                 RunLock recv = RunLock.acquire(c.stateDir().resolve("receive.lock"), "sync receive")) {
                Identity next = ids.next();
                if (next == null && ids.retiredDirs().isEmpty()) {
                    throw new CheckFailedException("no rotation under way: run `rotate-keys prepare` first");
                }
                // The target is the next identity during a rotation; after it, the current one (a bundle that
                // arrived encrypted only to a retired identity is moved over by running commit again).
                AgeIdentity target = next != null ? next.age() : ids.current().age();
                List<AgeIdentity> all = ids.decryptionIdentities();
                for (BundleStore.Entry e : store.index().entries()) {
                    if (e.recipient().equals(target.recipient())) {
                        continue;
                    }
                    byte[] again = Bundle.reencrypt(store.ciphertext(e), all, List.of(target.recipient()), max, e.name());
                    Bundle.reopen(store.signature(e), again, dev.understudy.bundle.Manifest.sha256(again), List.of(target),
                            max, e.name());
                    store.replaceCiphertext(e, again, target.recipient());
                    n++;
                }
                if (next != null) {
                    ids.promoteNext();
                }
            }
            log().info("validator {}: host {} re-encrypted {} stored bundle(s) and made its new identity current", c.validator(),
                    c.host(), n);
            io.out().println("re-encrypted " + n + " stored bundle(s); the new identity is current, the old one is retired"
                    + " (still opens bundles in flight until `rotate-keys retire`)");
            KeysCommands.print(io, ids.describe(), o.has("json"));
            return Exit.OK;
        }
    }

    /** Step 5: forget the retired identity once nothing needs it. */
    static final class Retire extends BaseCommand {
        @Override
        public String name() {
            return "rotate-keys retire";
        }

        @Override
        public String summary() {
            return "rotation step 5: delete retired identities (refused while a stored bundle needs one)";
        }

        @Override
        protected org.apache.commons.cli.Options options() {
            return common();
        }

        @Override
        protected int execute(Options o, Io io) throws Exception {
            Config c = Config.load(o.configPath());
            IdentityStore ids = new IdentityStore(c.identityDir());
            BundleStore store = BundleStore.of(c);
            try (RunLock lock = RunLock.acquire(c.stateDir().resolve("identity.lock"), "key rotation")) {
                Set<String> retired = new HashSet<>();
                ids.describe().path("retired").forEach(r -> retired.add(r.path("recipient").asText()));
                for (BundleStore.Entry e : store.index().entries()) {
                    if (retired.contains(e.recipient())) {
                        throw new CheckFailedException("stored bundle " + e.name() + " opens only with a retired identity;"
                                + " run `rotate-keys commit` again before retiring");
                    }
                }
                int n = ids.retire();
                log().info("validator {}: host {} retired {} old identity(ies)", c.validator(), c.host(), n);
                io.out().println("retired " + n + " old identity(ies)");
            }
            return Exit.OK;
        }
    }
}
