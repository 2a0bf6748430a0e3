package dev.understudy.coordination;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.understudy.cli.BaseCommand;
import dev.understudy.cli.CheckFailedException;
import dev.understudy.cli.Command;
import dev.understudy.cli.Exit;
import dev.understudy.cli.Io;
import dev.understudy.cli.Options;
import dev.understudy.cli.UnavailableException;
import dev.understudy.common.Json;
import dev.understudy.config.Config;
import dev.understudy.config.CoordinationSettings;
import dev.understudy.config.HostEntry;
import dev.understudy.node.NodeAdapter;
import dev.understudy.node.NodeAdapters;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** {@code agent}, {@code guard}, {@code status}, {@code switchover}, {@code failback}. */
public final class CoordinationCommands {
    private CoordinationCommands() {
    }

    public static List<Command> all() {
        return List.of(new AgentCommand(), new GuardCommand(), new StatusCommand(), new SwitchoverCommand(false),
                new SwitchoverCommand(true));
    }

    static org.apache.commons.cli.Options base() {
        return new org.apache.commons.cli.Options().addOption(Options.config());
    }

    /** guard. */
    static final class GuardCommand extends BaseCommand {
        @Override
        public String name() {
            return "guard";
        }

        @Override
        public String summary() {
            return "before the node starts: make it start without signing, or refuse the start (ExecStartPre)";
        }

        @Override
        protected org.apache.commons.cli.Options options() {
            return base();
        }

        @Override
        protected int execute(Options o, Io io) throws Exception {
            Config c = Config.load(o.configPath());
            NodeAdapter node = NodeAdapters.create(c);
            if (node.prepareStandbyStart()) {
                io.err().println("understudy guard: validator " + c.validator() + " on " + c.host()
                        + ": the node starts without signing; the agent activates it only while this host holds the role");
                return Exit.OK;
            }
            String holder = holds(c);
            if (holder == null) {
                io.err().println("understudy guard: validator " + c.validator() + " on " + c.host() + ": this host holds the role;"
                        + " the node may start");
                return Exit.OK;
            }
            io.err().println("understudy guard: validator " + c.validator() + " on " + c.host()
                    + ": REFUSING to start the node: this host does not hold the signing role (" + holder + ")");
            return Exit.CHECK_FAILED;
        }

        /** Null when etcd confirms this host as holder under the epoch it recorded; otherwise who holds it. */
        private static String holds(Config c) {
            try {
                LocalRole role = LocalRole.read(c.stateDir());
                Etcd etcd = Coordination.forCommand(c);
                Duration rt = c.coordination().commandTimeout();
                Optional<Etcd.KeyValue> kv = etcd.get(c.coordination().prefix(c.validator()) + "leader", rt);
                if (kv.isEmpty()) {
                    return "no holder";
                }
                String h = Json.parseObject(kv.get().value().getBytes(), "leader key").path("holder").asText();
                if (!h.equals(c.host()) || !role.holder() || role.epoch() != kv.get().createRevision()
                        || etcd.timeToLive(kv.get().lease(), rt) <= 0) {
                    return "held by " + h + " epoch " + kv.get().createRevision();
                }
                return null;
            } catch (Exception e) {
                return "cannot confirm: " + e.getMessage();
            }
        }
    }

    /** status. */
    static final class StatusCommand extends BaseCommand {
        @Override
        public String name() {
            return "status";
        }

        @Override
        public String summary() {
            return "who holds the signing role, lease time left, each host's sync, signing and keys";
        }

        @Override
        protected org.apache.commons.cli.Options options() {
            return base().addOption(Options.flag("json", "print JSON"));
        }

        @Override
        protected int execute(Options o, Io io) throws Exception {
            Config c = Config.load(o.configPath());
            ObjectNode s = snapshot(c, Coordination.forCommand(c));
            if (o.has("json")) {
                io.out().println(Json.prettyString(s));
                return Exit.OK;
            }
            JsonNode l = s.path("leader");
            io.out().printf("validator %s: %s%n", c.validator(), l.isMissingNode() || l.isNull() ? "NO HOLDER"
                    : "held by " + l.path("holder").asText() + ", epoch " + l.path("epoch").asLong() + ", lease "
                    + l.path("leaseSecondsLeft").asLong() + " s left, since " + l.path("since").asText());
            io.out().printf("%-14s %-8s %-6s %-7s %-5s %-8s %-11s %s%n", "HOST", "ROLE", "AGENT", "SYNCED", "LAG", "SIGNING",
                    "KEYS cur/nx", "NOTE");
            for (JsonNode h : s.path("hosts")) {
                JsonNode st = h.path("status");
                boolean up = !st.isMissingNode() && !st.isNull();
                io.out().printf("%-14s %-8s %-6s %-7s %-5s %-8s %-11s %s%n", h.path("host").asText(),
                        up ? st.path("role").asText() : "-", up ? "up" : "DOWN", up ? yes(st.path("synced")) : "-",
                        up ? st.path("lagRounds").asText("-") : "-", up ? yes(st.path("signing")) : "-",
                        up ? yes(st.path("keys").path("current")) + "/" + yes(st.path("keys").path("next")) : "-",
                        up ? st.path("nodeError").asText(st.path("lastError").asText("")) : "no status in etcd: agent stopped, or host down or cut off");
            }
            io.out().printf("etcd: %d of %d members answer%n", s.path("etcd").path("answering").asInt(),
                    s.path("etcd").path("members").asInt());
            JsonNode sb = s.path("sharedBackup");
            if (sb.isObject()) {
                List<String> held = new java.util.ArrayList<>();
                sb.path("slots").forEach(x -> held.add(x.path("validator").asText() + " (slot " + x.path("slot").asText() + ")"));
                io.out().printf("shared backup %s: %d of %d slots held%s; %s has priority %d%n", sb.path("host").asText(), held.size(),
                        sb.path("capacity").asInt(), held.isEmpty() ? "" : ": " + String.join(", ", held), c.validator(),
                        sb.path("priority").asInt());
            }
            if (s.has("switchover")) {
                io.out().println("switchover requested: " + s.get("switchover"));
            }
            if (s.has("lastReport")) {
                io.out().println("last takeover: " + s.get("lastReport"));
            }
            return Exit.OK;
        }

        private static String yes(JsonNode n) {
            return n.isBoolean() ? (n.asBoolean() ? "yes" : "NO") : "-";
        }
    }

    /** Everything status shows, as JSON. */
    public static ObjectNode snapshot(Config c, Etcd etcd) throws Exception {
        CoordinationSettings cs = c.coordination();
        Duration rt = cs.commandTimeout();
        String prefix = cs.prefix(c.validator());
        ObjectNode s = Json.object();
        s.put("validator", c.validator()).put("at", Instant.now().toString());
        List<Etcd.KeyValue> all;
        try {
            all = etcd.prefix(prefix, rt);
        } catch (EtcdException e) {
            throw new UnavailableException("etcd: " + e.getMessage(), e);
        }
        ArrayNode hosts = s.putArray("hosts");
        for (HostEntry h : c.hosts().values()) {
            if (h.role() == HostEntry.Role.MONITOR) {
                continue;
            }
            ObjectNode hj = hosts.addObject().put("host", h.name()).put("configuredRole", h.role().text());
            all.stream().filter(k -> k.key().equals(prefix + "status/" + h.name())).findFirst().ifPresent(k -> {
                try {
                    hj.set("status", Json.parseObject(k.value().getBytes(), k.key()));
                } catch (Exception e) {
                    hj.put("statusError", e.getMessage());
                }
            });
        }
        for (Etcd.KeyValue k : all) {
            String name = k.key().substring(prefix.length());
            JsonNode v = Json.parseObject(k.value().getBytes(), k.key());
            if (name.equals("leader")) {
                ObjectNode l = s.putObject("leader");
                l.put("holder", v.path("holder").asText()).put("epoch", k.createRevision()).put("since", v.path("since").asText())
                        .put("leaseSecondsLeft", etcd.timeToLive(k.lease(), rt));
            } else if (name.equals("switchover") || name.equals("demote")) {
                s.set(name, v);
            } else if (name.startsWith("reports/")) {
                if (!s.has("lastReport") || v.path("epoch").asLong() > s.get("lastReport").path("epoch").asLong()) {
                    s.set("lastReport", v);
                }
            }
        }
        if (!s.has("leader")) {
            s.putNull("leader");
        }
        if (cs.sharedBackup().enabled()) {
            // this host is a backup shared by several validators: who holds its slots
            ObjectNode b = s.putObject("sharedBackup").put("host", c.host()).put("capacity", cs.sharedBackup().capacity())
                    .put("priority", cs.sharedBackup().priority());
            ArrayNode slots = b.putArray("slots");
            String sp = CoordinationSettings.SharedBackup.slotPrefix(c.host());
            try {
                for (Etcd.KeyValue k : etcd.prefix(sp, rt)) {
                    slots.addObject().put("slot", k.key().substring(sp.length())).put("validator", k.value());
                }
            } catch (EtcdException e) {
                throw new UnavailableException("etcd: " + e.getMessage(), e);
            }
        }
        List<JsonNode> members = etcd.memberStatus(etcd.attemptTimeout());
        s.putObject("etcd").put("members", members.size()).put("answering", members.stream().filter(m -> m != null).count());
        return s;
    }

    /** switchover --to HOST, and failback (to the configured main). */
    static final class SwitchoverCommand extends BaseCommand {
        private final boolean failback;

        SwitchoverCommand(boolean failback) {
            this.failback = failback;
        }

        @Override
        public String name() {
            return failback ? "failback" : "switchover";
        }

        @Override
        public String summary() {
            return failback ? "hand the signing role back to the main (planned; refused if the main is not ready)"
                    : "hand the signing role to HOST at a round boundary (planned; refused if HOST is not ready)";
        }

        @Override
        protected org.apache.commons.cli.Options options() {
            org.apache.commons.cli.Options opts = base().addOption(Options.value("timeout-s", "S", "give up after S seconds (default 30)"));
            if (!failback) {
                opts.addOption(Options.value("to", "HOST", "the host that takes the role (required)"));
            }
            return opts;
        }

        @Override
        protected int execute(Options o, Io io) throws Exception {
            try {
                return handover(o, io);
            } catch (EtcdException e) {
                if (!e.unreachable() && e.getMessage().contains("permission denied")) {
                    throw new CheckFailedException("this host's etcd user may not ask for a handover (only the main's and the"
                            + " backup's may: run it there): " + e.getMessage());
                }
                throw new UnavailableException("etcd did not answer in time (" + e.getMessage() + "); the handover may not"
                        + " have started: check `understudy status` and try again", e);
            }
        }

        private int handover(Options o, Io io) throws Exception {
            Config c = Config.load(o.configPath());
            String target = failback ? c.mainHost() : o.get("to");
            if (target == null) {
                throw new dev.understudy.cli.UsageException("--to HOST is required");
            }
            HostEntry t = c.hosts().get(target);
            if (t == null || t.role() == HostEntry.Role.MONITOR) {
                throw new CheckFailedException("'" + target + "' is not a validator host of " + c.validator()
                        + " (main or backup in " + c.source() + ")");
            }
            Etcd etcd = Coordination.forCommand(c);
            CoordinationSettings cs = c.coordination();
            Duration rt = cs.commandTimeout();
            String prefix = cs.prefix(c.validator());
            Optional<Etcd.KeyValue> leader = etcd.get(prefix + "leader", rt);
            if (leader.isEmpty()) {
                throw new CheckFailedException("no host holds the role now; there is nothing to hand over (the agents elect a"
                        + " holder by themselves)");
            }
            String holder = Json.parseObject(leader.get().value().getBytes(), "leader").path("holder").asText();
            long epoch = leader.get().createRevision();
            if (holder.equals(target)) {
                io.out().println(target + " already holds the role (epoch " + epoch + "); nothing to do");
                return Exit.OK;
            }
            Switchover.TargetCheck check = Switchover.checkTarget(etcd, k -> prefix + k, target, rt);
            if (check.refusal() != null) {
                throw new CheckFailedException("switchover to " + target + " refused: " + check.refusal());
            }
            if (check.keysLag() != null) {
                io.out().printf("%s: %s; %s pushes its keys and hands over once %s has them%n", Instant.now(), check.keysLag(), holder,
                        target);
            }
            long t0 = System.currentTimeMillis();
            long timeoutS = o.longValue("timeout-s", 30);
            // the request lives as long as the command waits for it (and goes with it: revoked below)
            long reqLease = etcd.grant(Math.max(60, timeoutS + 10), rt);
            etcd.put(prefix + "switchover", Json.MAPPER.writeValueAsString(Json.object().put("to", target).put("from", holder)
                    .put("epoch", epoch).put("requestedAt", Instant.now().toString())), reqLease, rt);
            io.out().printf("%s: asked %s (epoch %d) to hand the role to %s%n", Instant.now(), holder, epoch, target);
            long deadline = System.currentTimeMillis() + 1000L * timeoutS;
            long released = -1;
            try {
                while (System.currentTimeMillis() < deadline) {
                    Optional<Etcd.KeyValue> l = etcd.get(prefix + "leader", rt);
                    if (l.isEmpty() && released < 0) {
                        released = System.currentTimeMillis();
                        io.out().printf("%s: %s released the role (+%d ms)%n", Instant.now(), holder, released - t0);
                    }
                    if (l.isPresent() && l.get().createRevision() != epoch) {
                        String h = Json.parseObject(l.get().value().getBytes(), "leader").path("holder").asText();
                        if (!h.equals(target)) {
                            throw new CheckFailedException("the role went to " + h + ", not " + target);
                        }
                        io.out().printf("%s: %s took the role, epoch %d (+%d ms)%n", Instant.now(), target, l.get().createRevision(),
                                System.currentTimeMillis() - t0);
                        return Exit.OK;
                    }
                    if (released < 0 && etcd.get(prefix + "switchover", rt).isEmpty()) {
                        throw new CheckFailedException(holder + " refused the switchover (the target was not ready when it"
                                + " checked; see its agent's log)");
                    }
                    Thread.sleep(100);
                }
                throw new CheckFailedException("switchover to " + target + " did not complete in " + timeoutS + " s"
                        + (released < 0 && check.keysLag() != null ? " (" + holder + " keeps the role until " + target + " has its"
                        + " keys; see its push errors in `understudy status`)" : "; see `understudy status`"));
            } finally {
                etcd.revoke(reqLease, rt);
            }
        }
    }
}
