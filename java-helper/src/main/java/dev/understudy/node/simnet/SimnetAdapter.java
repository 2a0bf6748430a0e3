package dev.understudy.node.simnet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.understudy.cli.BadInputException;
import dev.understudy.common.AtomicFiles;
import dev.understudy.common.FileTrees;
import dev.understudy.common.HttpJson;
import dev.understudy.common.Json;
import dev.understudy.config.Section;
import dev.understudy.node.Activation;
import dev.understudy.node.Evidence;
import dev.understudy.node.Fields;
import dev.understudy.node.KeyFile;
import dev.understudy.node.KeySet;
import dev.understudy.node.NodeAdapter;
import dev.understudy.node.NodeException;
import dev.understudy.node.NodeStatus;
import dev.understudy.node.PeriodKeys;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * The lab's node: the simnet node's console API on 127.0.0.1, the chain's API for the chain's view, and the
 * node's home (config.json, keyring/, wallet.pk) for key files.
 */
public final class SimnetAdapter implements NodeAdapter {
    private final String validator;
    private final HttpJson console;
    private final HttpJson chain;
    private final Path home;
    private final String nodeUser;
    private final LongSupplier clock;
    private final Duration timeout;
    /** Console calls that change the node (activation, deactivation, keys), counted as they start. */
    private final AtomicLong changes = new AtomicLong();
    /** The last status answer, which {@link #signing()} reuses within {@link #SHARE_NANOS} when nothing changed since. */
    private volatile Answer lastStatus;

    /** A status answer, when it was asked for (monotonic) and how many changing calls had started by then. */
    private record Answer(JsonNode json, long askedNanos, long changesBefore) {
    }

    /**
     * How long a status answer also answers "signing?": the agent asks both in one check, and both come from the same
     * console page. Only an answer asked after the last changing call started is reused.
     */
    static final long SHARE_NANOS = 100_000_000L;

    public SimnetAdapter(String validator, String consoleUrl, String chainUrl, Path home, String nodeUser,
            Duration timeout, LongSupplier clock) {
        this.validator = validator;
        this.console = new HttpJson(consoleUrl, timeout);
        this.chain = new HttpJson(chainUrl, timeout);
        this.home = home;
        this.nodeUser = nodeUser;
        this.clock = clock;
        this.timeout = timeout;
    }

    /** Reads {@code node.simnet} from the config. */
    public static SimnetAdapter fromConfig(String validator, Section simnet) throws BadInputException {
        SimnetAdapter a = new SimnetAdapter(validator,
                simnet.string("console_url", "http://127.0.0.1:7701"),
                simnet.string("chain_url"),
                simnet.path("home", Path.of("/var/lib/simnet-node")),
                simnet.string("user", "validator"),
                Duration.ofMillis(simnet.integer("timeout_ms", 3000, 100, 60_000)),
                System::currentTimeMillis);
        simnet.done();
        return a;
    }

    @Override
    public String kind() {
        return "simnet";
    }

    @Override
    public dev.understudy.node.Access access() {
        // config.json, keyring/ and the staging directory live in the node's home; the lab's unit is node.unit
        return new dev.understudy.node.Access(List.of(home), List.of());
    }

    private JsonNode nodeStatus() throws NodeException {
        try {
            long changed = changes.get();
            long asked = System.nanoTime();
            JsonNode s = console.get("/status");
            lastStatus = new Answer(s, asked, changed);
            return s;
        } catch (IOException e) {
            throw NodeException.unavailable("simnet node console " + console.base() + ": " + e.getMessage(), e);
        }
    }

    /** A console call that changes the node: counted before it starts, so no status asked earlier answers for after it. */
    private JsonNode post(String path, JsonNode body) throws IOException {
        changes.incrementAndGet();
        return console.post(path, body);
    }

    private static long need(JsonNode n, String field, String src) throws NodeException {
        return dev.understudy.node.Fields.integer(n, field, src);
    }

    private static boolean flag(JsonNode n, String field, String src) throws NodeException {
        return dev.understudy.node.Fields.bool(n, field, src);
    }

    @Override
    public NodeStatus status() throws NodeException {
        JsonNode s = nodeStatus();
        String src = console.base() + "/status";
        long period = need(s, "period", src);
        return new NodeStatus(flag(s, "synced", src), need(s, "lagRounds", src), need(s, "localRound", src), period,
                period < 0 ? -1 : period + 1, flag(s, "validation", src),
                s.path("lastError").isNull() ? "" : s.path("lastError").asText(), need(s, "lastSignedRound", src));
    }

    /** A node whose console refuses connections is not running, so it is not signing. A timeout stays doubt. */
    @Override
    public boolean signing() throws NodeException {
        Answer last = lastStatus;
        if (last != null && last.changesBefore() == changes.get() && System.nanoTime() - last.askedNanos() < SHARE_NANOS) {
            return flag(last.json(), "signing", console.base() + "/status");
        }
        try {
            return flag(nodeStatus(), "signing", console.base() + "/status");
        } catch (NodeException e) {
            if (refused(e)) {
                return false;
            }
            throw e;
        }
    }

    private static boolean refused(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof java.net.ConnectException) {
                return true;
            }
        }
        return false;
    }

    @Override
    public Evidence evidence(int rounds) throws NodeException {
        String name = URLEncoder.encode(validator, StandardCharsets.UTF_8);
        try {
            JsonNode st = chain.get("/status");
            String ssrc = chain.base() + "/status";
            long round = need(st, "round", ssrc);
            long roundMs = need(st, "roundMs", ssrc);
            JsonNode v = chain.get("/validators/" + name);
            String src = chain.base() + "/validators/" + validator;
            long lastVote = need(v, "lastVoteRound", src);
            long lastSigned = need(v, "lastSignedRound", src);
            boolean inSet = flag(v, "inCurrentSet", src);
            boolean nextBid = v.path("bids").has(String.valueOf(need(st, "period", ssrc) + 1));
            boolean inNext = flag(v, "inNextSet", src) || nextBid;
            JsonNode w = chain.get("/validators/" + name + "/summary?from=" + Math.max(0, round - rounds));
            JsonNode signers = w.get("signerInstances");
            if (signers == null || !signers.isArray()) {
                throw NodeException.badOutput(src + "/summary: field 'signerInstances' missing or not a list");
            }
            return new Evidence(lastVote >= round - rounds, lastVote, lastSigned, round, rounds, inSet, inNext, signers.size(),
                    need(w, "doubleSigns", src + "/summary"), need(v, "doubleSigns", src), roundMs);
        } catch (HttpJson.HttpStatusException e) {
            if (e.status() == 404) {
                // the chain has never heard of the validator: nobody signs for it, it is in no set
                return new Evidence(false, -1, -1, chainRound(), rounds, false, false, 0, 0, 0, 0);
            }
            throw NodeException.unavailable("simnet chain " + chain.base() + ": " + e.getMessage(), e);
        } catch (IOException e) {
            throw NodeException.unavailable("simnet chain " + chain.base() + ": " + e.getMessage(), e);
        }
    }

    private long chainRound() throws NodeException {
        try {
            return need(chain.get("/status"), "round", chain.base() + "/status");
        } catch (IOException e) {
            throw NodeException.unavailable("simnet chain " + chain.base() + ": " + e.getMessage(), e);
        }
    }

    /**
     * The current period from the node's cached chain parameters and this host's clock (no network needed): chain time
     * is wall-clock time less the chain's stalls before it (it stands still during one).
     */
    long currentPeriod() throws NodeException {
        Path cache = home.resolve("chain.json");
        try {
            ObjectNode c = Fields.object(Files.readAllBytes(cache), cache.toString());
            long genesis = c.path("genesisMillis").asLong();
            long roundMs = c.path("roundMs").asLong();
            long periodRounds = c.path("periodRounds").asLong();
            if (roundMs <= 0 || periodRounds <= 0) {
                throw NodeException.badOutput(cache + ": roundMs and periodRounds must be positive");
            }
            long now = clock.getAsLong();
            long chainNow = now;
            for (JsonNode st : c.path("stalls")) {
                long from = st.path("fromMillis").asLong();
                long to = st.path("toMillis").asLong();
                if (from < now && to > from) {
                    chainNow -= Math.min(now, to) - from;
                }
            }
            return now < genesis ? 0 : (chainNow - genesis) / roundMs / periodRounds;
        } catch (IOException e) {
            throw NodeException.unavailable(cache + ": cannot read the node's chain parameters: " + e.getMessage(), e);
        }
    }

    /**
     * config.json with only the entries of the current and later periods, their keyring files, and the
     * wallet (the backup needs it for the election duty).
     */
    @Override
    public KeySet keyFiles() throws NodeException {
        long current = currentPeriod();
        Path cfg = home.resolve("config.json");
        try {
            ObjectNode c = Fields.object(Files.readAllBytes(cfg), cfg.toString());
            JsonNode entries = c.get("validators");
            if (entries == null || !entries.isArray()) {
                throw NodeException.badOutput(cfg + ": field 'validators' missing or not a list");
            }
            ArrayNode kept = Json.array();
            List<KeyFile> files = new ArrayList<>();
            List<PeriodKeys> periods = new ArrayList<>();
            for (JsonNode e : entries) {
                long p = need(e, "period", cfg + " validators[]");
                String id = e.path("id").asText("");
                if (!id.matches("[0-9A-F]{64}")) {
                    throw NodeException.badOutput(cfg + ": validators[] id '" + id + "' is not a 64-digit upper-case hex key id");
                }
                if (p < current) {
                    continue;
                }
                kept.add(e);
                Path key = home.resolve("keyring").resolve(id);
                files.add(new KeyFile("keyring/" + id, 0600, Files.readAllBytes(key)));
                periods.add(new PeriodKeys(p, List.of(id)));
            }
            c.set("validators", kept);
            files.add(0, new KeyFile("config.json", 0600, Json.pretty(c)));
            Path wallet = home.resolve("wallet.pk");
            if (FileTrees.exists(wallet)) {
                files.add(new KeyFile("wallet.pk", 0600, Files.readAllBytes(wallet)));
            }
            return new KeySet(files, periods);
        } catch (IOException e) {
            throw NodeException.unavailable("reading keys from " + home + ": " + e.getMessage(), e);
        }
    }

    /**
     * Copies the files into a staging directory inside the node's home (owned by the node's user) and has the
     * node import them; the node checks each key against its name before writing anything.
     */
    @Override
    public void install(Path dir) throws NodeException {
        Path staging = home.resolve(".understudy-import-" + Long.toHexString(clock.getAsLong()));
        try {
            FileTrees.copy(dir, staging);
            FileTrees.chownIfAble(staging, nodeUser);
            post("/import-keys", Json.object().put("dir", staging.toString()));
        } catch (IOException e) {
            throw NodeException.unavailable("installing keys into the simnet node: " + e.getMessage(), e);
        } finally {
            try {
                FileTrees.delete(staging);
            } catch (IOException e) {
                // staging holds key copies inside the node's private home; reported but not fatal
                System.err.println("could not remove " + staging + ": " + e.getMessage());
            }
        }
    }

    @Override
    public void activate(Activation a) throws NodeException {
        set("/elections", a.electionDuty(), "elections");
        try {
            // the node checks the epoch against the highest it has seen (the fencing token) and refuses a lower one
            JsonNode s = post("/validation", Json.object().put("enabled", true).put("epoch", a.epoch())
                    .put("notBeforeRound", a.notBeforeRound()).put("joinAfterMillis", a.joinAfterMs()).put("joinUntilMillis", a.joinUntilMs()));
            if (s == null || !s.path("validation").asBoolean(false)) {
                throw NodeException.badOutput(console.base() + "/validation: node reports validation " + (s == null ? "nothing"
                        : s.path("validation")) + " after switching it on");
            }
        } catch (HttpJson.HttpStatusException e) {
            throw NodeException.badOutput(console.base() + "/validation refused: " + e.getMessage());
        } catch (IOException e) {
            throw NodeException.unavailable("simnet node console " + console.base() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public Duration deactivationBudget() {
        // two console calls, then the signing check's
        return timeout.multipliedBy(3);
    }

    @Override
    public void deactivate() throws NodeException {
        set("/validation", false, "validation");
        set("/elections", false, "elections");
    }

    /** Before the node starts: its persisted state says neither validate nor bid, so it starts as a standby. */
    @Override
    public boolean prepareStandbyStart() throws NodeException {
        Path state = home.resolve("state.json");
        try {
            AtomicFiles.write(state, Json.pretty(Json.object().put("validation", false).put("elections", false)));
            return true;
        } catch (IOException e) {
            throw NodeException.unavailable("cannot write " + state + ": " + e.getMessage(), e);
        }
    }

    private void set(String path, boolean on, String field) throws NodeException {
        try {
            JsonNode s = post(path, Json.object().put("enabled", on));
            if (s == null) {
                throw NodeException.badOutput(console.base() + path + ": empty answer");
            }
            if (s.path(field).asBoolean(!on) != on) {
                throw NodeException.badOutput(console.base() + path + ": node reports " + field + " " + s.path(field)
                        + " after setting it to " + on);
            }
        } catch (IOException e) {
            if (!on && refused(e)) {
                // not running: it signs nothing, and the guard starts it without signing
                return;
            }
            throw NodeException.unavailable("simnet node console " + console.base() + ": " + e.getMessage(), e);
        }
    }
}
