package dev.understudy.node.everscale;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.understudy.cli.BadInputException;
import dev.understudy.common.AtomicFiles;
import dev.understudy.common.Command;
import dev.understudy.common.FileTrees;
import dev.understudy.common.Json;
import dev.understudy.config.Section;
import dev.understudy.node.Access;
import dev.understudy.node.Activation;
import dev.understudy.node.ElectionFiles;
import dev.understudy.node.Evidence;
import dev.understudy.node.EvidenceJson;
import dev.understudy.node.Fields;
import dev.understudy.node.KeyFile;
import dev.understudy.node.KeySet;
import dev.understudy.node.NodeAdapter;
import dev.understudy.node.NodeException;
import dev.understudy.node.NodeStatus;
import dev.understudy.node.PeriodKeys;
import dev.understudy.node.Program;
import dev.understudy.node.Systemd;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.LongSupplier;
import java.util.stream.Collectors;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * An Everscale ever-node, docs/adapters.md#the-everscale-adapter. Status from {@code console -j -c getstats}; the
 * chain's view from the operator's {@code evidence} command. The signing keys live inside {@code config.json}
 * ({@code validator_keys} and their private keys in {@code validator_key_ring}), so the bundle carries just those
 * entries (never the node's own identity in the same file). A standby's config.json has none: {@code install}
 * only records them in a plan; {@code activate} stops the node, writes them into config.json and starts it (the
 * node reads its keys at start); {@code deactivate} creates the election scripts' stop file, and moves the entries
 * back out the same way; {@code standby_start} (the guard) moves them out before the node starts.
 */
public final class EverAdapter implements NodeAdapter {
    private static final Logger LOG = LogManager.getLogger(EverAdapter.class);
    static final String BUNDLE_FILE = "validator-keys.json";

    private final Program console;
    /** The operator's command, or null: then {@link #chain} answers. */
    private final Program evidence;
    private final EverChainEvidence chain;
    private final Path configFile;
    private final Path plan;
    private final Path stopFile;
    private final String user;
    private final Systemd systemd;
    private final String service;
    private final long syncThresholdS;
    private final long blockMs;
    private final ElectionFiles electionFiles;
    private final LongSupplier nowSeconds;

    /** Exactly one of {@code evidence} and {@code chain} is set; {@code configFile} is null on the monitor, which has no node. */
    EverAdapter(Program console, Program evidence, EverChainEvidence chain, Path configFile, Path plan, Path stopFile, String user,
            Systemd systemd, String service, long syncThresholdS, long blockMs, ElectionFiles electionFiles, LongSupplier nowSeconds) {
        this.console = console;
        this.evidence = evidence;
        this.chain = chain;
        this.configFile = configFile;
        this.plan = plan;
        this.stopFile = stopFile;
        this.user = user;
        this.systemd = systemd;
        this.service = service;
        this.syncThresholdS = syncThresholdS;
        this.blockMs = blockMs;
        this.electionFiles = electionFiles;
        this.nowSeconds = nowSeconds;
    }

    public static EverAdapter fromConfig(String validator, Path stateDir, Section c) throws BadInputException {
        return fromConfig(validator, stateDir, c, false);
    }

    /**
     * {@code chainViewOnly}: the monitor's, which only asks the chain and runs no node: {@code console},
     * {@code config_json} and {@code stop_file} may be left out there.
     */
    public static EverAdapter fromConfig(String validator, Path stateDir, Section c, boolean chainViewOnly) throws BadInputException {
        Duration timeout = Duration.ofMillis(c.integer("timeout_ms", 5000, 100, 120_000));
        Map<String, String> env = Map.of("UNDERSTUDY_VALIDATOR", validator);
        long syncThresholdS = c.integer("sync_threshold_s", 20, 1, 3600);
        long blockMs = c.integer("block_ms", 3000, 100, 600_000);
        LongSupplier now = () -> System.currentTimeMillis() / 1000;
        Program evidence = c.strings("evidence").isEmpty() ? null : Program.fromConfig(c, "evidence", "everscale evidence", timeout, env);
        EverChainEvidence chain = null;
        long silenceS = c.integer("evidence_silence_s", 1200, 60, 86_400);
        if (c.has("graphql_url")) {
            chain = new EverChainEvidence(new GraphqlEndpoint(httpUrl(c, "graphql_url"), timeout), blockMs, silenceS,
                    syncThresholdS + 60, now);
        }
        if (evidence == null && chain == null) {
            throw c.error("graphql_url", "or 'evidence' is required: the chain's view of the validator key (a GraphQL endpoint of the "
                    + "network, or the operator's evidence command)");
        }
        boolean noNode = chainViewOnly && !c.has("console");
        EverAdapter a = new EverAdapter(noNode ? null : Program.fromConfig(c, "console", "everscale console", timeout, env),
                evidence, evidence == null ? chain : null, noNode && !c.has("config_json") ? null : c.path("config_json"),
                stateDir.resolve("everscale-replay.json"), noNode && !c.has("stop_file") ? null : c.path("stop_file"),
                c.string("user", "validator"), new Systemd(c.string("systemctl", "/usr/bin/systemctl"), timeout),
                c.string("service", "ever-node"), syncThresholdS, blockMs, ElectionFiles.fromConfig(c), now);
        c.done();
        return a;
    }

    private static java.net.URI httpUrl(Section c, String key) throws BadInputException {
        String v = c.string(key);
        try {
            java.net.URI u = new java.net.URI(v);
            if (("http".equals(u.getScheme()) || "https".equals(u.getScheme())) && u.getHost() != null) {
                return u;
            }
        } catch (java.net.URISyntaxException e) {
            // refused below
        }
        throw c.error(key, "expected an http:// or https:// URL of a GraphQL endpoint (e.g. http://127.0.0.1/graphql), got '" + v + "'");
    }

    @Override
    public String kind() {
        return "everscale";
    }

    @Override
    public Access access() {
        List<Path> w = new ArrayList<>(Access.parents(java.util.stream.Stream.of(configFile, stopFile).filter(java.util.Objects::nonNull)
                .toList()));
        w.addAll(Access.parents(electionFiles.paths()));
        return new Access(w, List.of(Access.unitName(service)));
    }

    private EverStats stats() throws NodeException {
        return EverStats.parse(console.output("-j", "-c", "getstats"), console.source() + " getstats");
    }

    private ObjectNode readConfig() throws NodeException {
        try {
            return Fields.object(Files.readAllBytes(configFile), configFile.toString());
        } catch (IOException e) {
            throw NodeException.unavailable("cannot read " + configFile + ": " + e.getMessage(), e);
        }
    }

    /** The election ids this host knows keys of (its config.json and its plan): the current and the next period. */
    private long[] periods(ObjectNode cfg) throws NodeException {
        long now = nowSeconds.getAsLong();
        long current = -1;
        long next = -1;
        List<EverKeys.Entry> known = new ArrayList<>(EverKeys.entries(cfg, 0, configFile.toString()));
        known.addAll(EverKeys.entries(readPlan(), 0, plan.toString()));
        for (EverKeys.Entry e : known) {
            if (e.electionId() <= now) {
                current = Math.max(current, e.electionId());
            } else if (next < 0 || e.electionId() < next) {
                next = e.electionId();
            }
        }
        return new long[] {current, next};
    }

    @Override
    public NodeStatus status() throws NodeException {
        EverStats s = stats();
        ObjectNode cfg = readConfig();
        long[] p = periods(cfg);
        boolean keysInNode = EverKeys.entries(cfg, Math.max(p[0], 0), configFile.toString()).size() > 0;
        return new NodeStatus(s.synced(syncThresholdS), s.timediff() * 1000 / blockMs, s.masterchainBlock(), p[0], p[1], keysInNode,
                s.syncStatus() + ", " + s.timediff() + " s behind; validation " + s.validationStatus()
                        + (s.inCurrentSet() ? "; in the current set (p34)" : "") + (s.inNextSet() ? "; in the next set (p36)" : ""));
    }

    /** A stopped node signs nothing; a running one signs while Active, and will without further action in Countdown. */
    @Override
    public boolean signing() throws NodeException {
        if (!systemd.isActive(service)) {
            return false;
        }
        EverStats s = stats();
        return s.active() || "Countdown".equals(s.validationStatus());
    }

    /** The operator's command when configured; otherwise the signatures the GraphQL endpoint serves ({@link EverChainEvidence}). */
    @Override
    public Evidence evidence(int rounds) throws NodeException {
        return evidence(rounds, Set.of());
    }

    /** With no entries of its own (the monitor), the key is found by the key ids the agents published ({@code published}). */
    @Override
    public Evidence evidence(int rounds, Set<String> published) throws NodeException {
        if (evidence != null) {
            return EvidenceJson.run(evidence, rounds);
        }
        List<EverKeys.Entry> entries = ourEntries();
        Set<String> ids = new java.util.HashSet<>(chainIds(entries));
        if (ids.isEmpty()) {
            published.stream().map(i -> i.toLowerCase(java.util.Locale.ROOT)).filter(i -> EverChainEvidence.KEY_ID.matcher(i).matches())
                    .forEach(ids::add);
        }
        return chain.evidence(rounds, ids, since -> entries.stream().anyMatch(e -> e.electionId() > since));
    }

    /** The key ids (hex, as the chain's signatures name them) of this host's entries. */
    @Override
    public List<String> chainIds() {
        try {
            return chainIds(ourEntries());
        } catch (NodeException e) {
            return List.of();
        }
    }

    private static List<String> chainIds(List<EverKeys.Entry> entries) {
        return entries.stream().map(e -> EverChainEvidence.keyIdHex(e.validatorKeyId())).filter(java.util.Objects::nonNull).distinct()
                .sorted().toList();
    }

    /** This host's validator entries: config.json's (a holder's; none on the monitor) and the replay plan's (a standby's). */
    private List<EverKeys.Entry> ourEntries() throws NodeException {
        List<EverKeys.Entry> out = new ArrayList<>();
        if (configFile != null && FileTrees.exists(configFile)) {
            out.addAll(EverKeys.entries(readConfig(), 0, configFile.toString()));
        }
        out.addAll(EverKeys.entries(readPlan(), 0, plan.toString()));
        return out;
    }

    /**
     * The validator_keys entries of the current and next period with their key ring entries, as one file, and the
     * election files (the wallet the election scripts bid from).
     */
    @Override
    public KeySet keyFiles() throws NodeException {
        ObjectNode cfg = readConfig();
        long current = periods(cfg)[0];
        ObjectNode out = extract(cfg, Math.max(current, 0), configFile.toString());
        List<PeriodKeys> periods = new ArrayList<>();
        for (EverKeys.Entry e : EverKeys.entries(out, 0, configFile.toString())) {
            periods.add(new PeriodKeys(e.electionId(), List.of(e.validatorKeyId())));
        }
        List<KeyFile> files = new ArrayList<>();
        files.add(new KeyFile(BUNDLE_FILE, 0600, Json.pretty(out)));
        files.addAll(electionFiles.read());
        return new KeySet(files, periods);
    }

    /** {validator_keys, validator_key_ring} with the entries of {@code cfg} from election {@code from} on (checked). */
    private static ObjectNode extract(JsonNode cfg, long from, String src) throws NodeException {
        List<EverKeys.Entry> entries = EverKeys.entries(cfg, from, src);
        Set<Long> ids = entries.stream().map(EverKeys.Entry::electionId).collect(Collectors.toSet());
        ObjectNode out = Json.object();
        out.putArray("validator_keys");
        out.putObject("validator_key_ring");
        for (JsonNode k : cfg.path("validator_keys")) {
            if (ids.contains(k.path("election_id").asLong())) {
                addEntry(out, k, cfg);
            }
        }
        return out;
    }

    /** Appends validator_keys entry {@code k} of {@code from} to {@code to}, with its two key ring entries. */
    private static void addEntry(ObjectNode to, JsonNode k, JsonNode from) {
        ((ArrayNode) to.get("validator_keys")).add(k);
        for (String f : List.of("validator_key_id", "validator_adnl_key_id")) {
            String id = k.path(f).asText();
            ((ObjectNode) to.get("validator_key_ring")).set(id, from.path("validator_key_ring").get(id));
        }
    }

    @Override
    public void install(Path dir) throws NodeException {
        Path f = dir.resolve(BUNDLE_FILE);
        ObjectNode bundle;
        try {
            bundle = Fields.object(Files.readAllBytes(f), "bundle " + BUNDLE_FILE);
        } catch (IOException e) {
            throw NodeException.unavailable("bundle without " + BUNDLE_FILE + ": " + e.getMessage(), e);
        }
        EverKeys.entries(bundle, 0, "bundle " + BUNDLE_FILE); // every key in the ring, or refused
        electionFiles.install(dir);
        try {
            savePlan(merge(readPlan(), bundle));
        } catch (IOException e) {
            throw NodeException.unavailable("recording the keys in " + plan + ": " + e.getMessage(), e);
        }
    }

    /** Writes the planned entries config.json lacks (stopping and starting the node), then the election stop file. */
    @Override
    public void activate(Activation activation) throws NodeException {
        boolean electionDuty = activation.electionDuty();
        ObjectNode cfg = readConfig();
        ObjectNode planned = readPlan();
        Set<String> have = new java.util.HashSet<>();
        cfg.path("validator_keys").forEach(k -> have.add(k.path("validator_key_id").asText()));
        boolean missing = false;
        for (JsonNode k : planned.path("validator_keys")) {
            missing |= !have.contains(k.path("validator_key_id").asText());
        }
        if (missing) {
            systemd.ok("stop", service);
            writeConfig(withKeys(cfg, merge(extract(cfg, 0, configFile.toString()), planned)));
            systemd.ok("start", service);
        }
        try {
            if (electionDuty) {
                Files.deleteIfExists(stopFile);
            } else if (!FileTrees.exists(stopFile)) {
                Files.writeString(stopFile, "understudy: this host holds the role without election duty\n");
            }
        } catch (IOException e) {
            throw NodeException.unavailable("election stop file " + stopFile + ": " + e.getMessage(), e);
        }
    }

    @Override
    public java.time.Duration deactivationBudget() {
        // stop the node, start it without keys; then the signing check's is-active and getstats
        return systemd.timeout().multipliedBy(4);
    }

    /** Creates the stop file; a node with keys in config.json is stopped, the keys moved to the plan, and started. */
    @Override
    public void deactivate() throws NodeException {
        try {
            if (!FileTrees.exists(stopFile)) {
                Files.writeString(stopFile, "understudy: this host does not hold the signing role\n");
            }
        } catch (IOException e) {
            throw NodeException.unavailable("election stop file " + stopFile + ": " + e.getMessage(), e);
        }
        if (readConfig().path("validator_keys").isEmpty()) {
            return;
        }
        systemd.ok("stop", service);
        strip();
        Command.Result r = systemd.run("start", service);
        if (r.exit() != 0) {
            LOG.error("{} stopped and its validator keys moved out, but starting it again as a full node failed (exit {}): {}", service,
                    r.exit(), r.stderrTail());
        }
    }

    @Override
    public boolean prepareStandbyStart() throws NodeException {
        strip();
        return true;
    }

    private void strip() throws NodeException {
        ObjectNode cfg = readConfig();
        if (cfg.path("validator_keys").isEmpty()) {
            return;
        }
        try {
            savePlan(merge(readPlan(), extract(cfg, 0, configFile.toString())));
        } catch (IOException e) {
            throw NodeException.unavailable("recording the keys in " + plan + ": " + e.getMessage(), e);
        }
        writeConfig(withKeys(cfg, Json.object().set("validator_keys", Json.array())));
    }

    /** {@code cfg} with its validator_keys and key ring entries replaced by {@code keys}' (other ring keys kept). */
    private static ObjectNode withKeys(ObjectNode cfg, ObjectNode keys) {
        ObjectNode out = cfg.deepCopy();
        ObjectNode ring = out.has("validator_key_ring") && out.get("validator_key_ring").isObject()
                ? (ObjectNode) out.get("validator_key_ring") : out.putObject("validator_key_ring");
        for (JsonNode k : cfg.path("validator_keys")) {
            ring.remove(k.path("validator_key_id").asText());
            ring.remove(k.path("validator_adnl_key_id").asText());
        }
        keys.path("validator_key_ring").fields().forEachRemaining(e -> ring.set(e.getKey(), e.getValue()));
        out.set("validator_keys", keys.path("validator_keys").deepCopy());
        return out;
    }

    private void writeConfig(ObjectNode cfg) throws NodeException {
        try {
            Files.copy(configFile, configFile.resolveSibling(configFile.getFileName() + ".understudy-previous"),
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            AtomicFiles.write(configFile, Json.pretty(cfg), AtomicFiles.PRIVATE);
            FileTrees.chownIfAble(configFile, user);
        } catch (IOException e) {
            throw NodeException.unavailable("writing " + configFile + ": " + e.getMessage(), e);
        }
    }

    // ------------------------------------------------------------------ the plan: {validator_keys, validator_key_ring}

    private ObjectNode readPlan() throws NodeException {
        try {
            // the guard reads it as root in the service user's directory
            return Fields.object(FileTrees.readRegular(plan, 1 << 20), plan.toString());
        } catch (NoSuchFileException e) {
            ObjectNode empty = Json.object();
            empty.putArray("validator_keys");
            empty.putObject("validator_key_ring");
            return empty;
        } catch (IOException e) {
            throw NodeException.unavailable("cannot read " + plan + ": " + e.getMessage(), e);
        }
    }

    /** The plan's and {@code more}'s entries (more's win), without those older than the current period. */
    private ObjectNode merge(ObjectNode planned, ObjectNode more) throws NodeException {
        ObjectNode all = Json.object();
        ArrayNode keys = all.putArray("validator_keys");
        all.putObject("validator_key_ring");
        Set<String> seen = new java.util.HashSet<>();
        for (ObjectNode src : List.of(more, planned)) {
            for (JsonNode k : src.path("validator_keys")) {
                if (seen.add(k.path("validator_key_id").asText())) {
                    addEntry(all, k, src);
                }
            }
        }
        long now = nowSeconds.getAsLong();
        long current = -1;
        for (JsonNode k : keys) {
            long id = k.path("election_id").asLong();
            if (id <= now) {
                current = Math.max(current, id);
            }
        }
        return extract(all, Math.max(current, 0), plan.toString());
    }

    private void savePlan(ObjectNode keys) throws IOException {
        AtomicFiles.write(plan, Json.pretty(keys), AtomicFiles.PRIVATE);
    }
}
