package dev.understudy.transfer;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.understudy.bundle.Bundle;
import dev.understudy.bundle.BundleStore;
import dev.understudy.bundle.Rejection;
import dev.understudy.cli.BaseCommand;
import dev.understudy.cli.Command;
import dev.understudy.cli.Exit;
import dev.understudy.cli.Io;
import dev.understudy.cli.Options;
import dev.understudy.common.Json;
import dev.understudy.common.RunLock;
import dev.understudy.config.Config;
import dev.understudy.identity.IdentityStore;
import dev.understudy.node.NodeAdapter;
import dev.understudy.node.NodeAdapters;
import dev.understudy.node.NodeException;
import dev.understudy.node.NodeStatus;
import java.time.Duration;
import java.util.List;

/** {@code sync push}, {@code sync receive}, {@code sync status}. */
public final class SyncCommands {
    /**
     * How long push and receive wait for another run of themselves (the agent's push check every push interval,
     * cron's minutely run, the drop's path unit) before exiting 75; an operator's push does not fail because the
     * agent was looking at the keys at that moment.
     */
    static final Duration LOCK_WAIT = Duration.ofSeconds(30);

    private SyncCommands() {
    }

    public static List<Command> all() {
        return List.of(new PushCommand(), new ReceiveCommand(), new StatusCommand());
    }

    /** sync push. */
    static final class PushCommand extends BaseCommand {
        @Override
        public String name() {
            return "sync push";
        }

        @Override
        public String summary() {
            return "send the node's current and next period keys to every peer, if they changed (cron, on demand)";
        }

        @Override
        protected org.apache.commons.cli.Options options() {
            return new org.apache.commons.cli.Options().addOption(Options.config())
                    .addOption(Options.flag("force", "send even if the peers already have this key set"));
        }

        @Override
        protected int execute(Options o, Io io) throws Exception {
            Config c = Config.load(o.configPath());
            NodeAdapter node = NodeAdapters.create(c);
            try (RunLock lock = RunLock.acquire(c.stateDir().resolve("push.lock"), "sync push", LOCK_WAIT)) {
                Push.Result r = new Push(c, node, Push.uploader(c)).run(o.has("force"));
                if (r.skipped() != null) {
                    io.out().println("nothing to push: " + r.skipped());
                    return Exit.OK;
                }
                if (r.upToDate()) {
                    io.out().println("up to date: every peer has the current key set");
                    return Exit.OK;
                }
                for (String d : r.delivered()) {
                    io.out().println("delivered " + r.bundle() + " to " + d);
                }
                boolean hostKey = false;
                for (SftpUploader.UploadException e : r.failures()) {
                    io.err().println("NOT delivered: " + e.getMessage());
                    hostKey |= e.kind() == SftpUploader.UploadException.Kind.HOST_KEY;
                }
                if (r.failures().isEmpty()) {
                    return Exit.OK;
                }
                return hostKey ? Exit.DATA : Exit.UNAVAILABLE;
            }
        }
    }

    /** sync receive. */
    static final class ReceiveCommand extends BaseCommand {
        @Override
        public String name() {
            return "sync receive";
        }

        @Override
        public String summary() {
            return "verify bundles in the drop directory; store good ones encrypted, quarantine bad ones";
        }

        @Override
        protected org.apache.commons.cli.Options options() {
            return new org.apache.commons.cli.Options().addOption(Options.config());
        }

        @Override
        protected int execute(Options o, Io io) throws Exception {
            Config c = Config.load(o.configPath());
            try (RunLock lock = RunLock.acquire(c.stateDir().resolve("receive.lock"), "sync receive", LOCK_WAIT)) {
                Receive.Result r = new Receive(c).run();
                r.accepted().forEach(a -> io.out().println("accepted " + a));
                r.rejected().forEach(a -> io.err().println("REJECTED " + a));
                r.storageFailures().forEach(a -> io.err().println("NOT STORED " + a));
                if (!r.storageFailures().isEmpty()) {
                    return Exit.IO;
                }
                return r.rejected().isEmpty() ? Exit.OK : Exit.DATA;
            }
        }
    }

    /** sync status. */
    static final class StatusCommand extends BaseCommand {
        @Override
        public String name() {
            return "sync status";
        }

        @Override
        public String summary() {
            return "which periods this host holds verified keys for (exit 1 if the current one is missing)";
        }

        @Override
        protected org.apache.commons.cli.Options options() {
            return new org.apache.commons.cli.Options().addOption(Options.config())
                    .addOption(Options.flag("verify", "decrypt each bundle in memory and check every file's hash"))
                    .addOption(Options.flag("json", "print JSON"));
        }

        @Override
        protected int execute(Options o, Io io) throws Exception {
            Config c = Config.load(o.configPath());
            NodeAdapter node = NodeAdapters.create(c);
            BundleStore store = BundleStore.of(c);
            ObjectNode out = Json.object();
            out.put("validator", c.validator());
            out.put("host", c.host());
            NodeStatus st;
            try {
                st = node.status();
            } catch (NodeException e) {
                io.err().println("understudy sync status: cannot tell the current period: " + e.getMessage());
                return e.isBadOutput() ? Exit.DATA : Exit.UNAVAILABLE;
            }
            out.put("currentPeriod", st.currentPeriod());
            out.put("nextPeriod", st.nextPeriod());
            ArrayNode periods = out.putArray("periods");
            boolean currentCovered = false;
            boolean verifyFailed = false;
            IdentityStore ids = new IdentityStore(c.identityDir());
            for (long p : new long[] {st.currentPeriod(), st.nextPeriod()}) {
                ObjectNode pj = periods.addObject();
                pj.put("period", p);
                pj.put("which", p == st.currentPeriod() ? "current" : "next");
                BundleStore.Entry e = store.latestFor(p);
                pj.put("covered", e != null);
                if (e == null) {
                    continue;
                }
                currentCovered |= p == st.currentPeriod();
                pj.put("bundle", e.name()).put("source", e.source()).put("seq", e.seq()).put("epoch", e.epoch())
                        .put("receivedAt", e.receivedAt());
                e.periods().stream().filter(k -> k.period() == p).findFirst()
                        .ifPresent(k -> pj.set("keyIds", Json.MAPPER.valueToTree(k.keyIds())));
                if (o.has("verify")) {
                    try {
                        BundleStore.Stored b = store.read(e);
                        Bundle.reopen(b.signature(), b.ciphertext(), b.entry().sha256(), ids.decryptionIdentities(),
                                c.sync().maxBundleBytes(), e.name());
                        pj.put("verified", true);
                    } catch (Rejection r) {
                        pj.put("verified", false);
                        pj.put("error", r.getMessage());
                        verifyFailed = true;
                    }
                }
            }
            List<ObjectNode> q = store.quarantined();
            out.put("quarantined", q.size());
            if (!q.isEmpty()) {
                out.set("lastRejection", q.get(q.size() - 1));
            }
            if (o.has("json")) {
                io.out().println(Json.prettyString(out));
            } else {
                io.out().println("validator " + c.validator() + " on " + c.host() + ": current period " + st.currentPeriod()
                        + ", next " + st.nextPeriod());
                periods.forEach(pj -> io.out().println("  period " + pj.get("period").asLong() + " (" + pj.get("which").asText()
                        + "): " + (pj.get("covered").asBoolean() ? pj.get("bundle").asText() + " from " + pj.get("source").asText()
                        + ", received " + pj.get("receivedAt").asText() + (pj.has("verified") ? (pj.get("verified").asBoolean()
                        ? ", verified" : ", VERIFY FAILED: " + pj.get("error").asText()) : "") : "MISSING")));
                if (!q.isEmpty()) {
                    io.out().println("  quarantined bundles: " + q.size() + "; last: " + q.get(q.size() - 1).path("reason").asText()
                            + " — " + q.get(q.size() - 1).path("message").asText());
                }
            }
            if (verifyFailed) {
                return Exit.DATA;
            }
            return currentCovered ? Exit.OK : Exit.CHECK_FAILED;
        }
    }
}
