package dev.understudy.node.ton;

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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.LongSupplier;
import java.util.stream.Collectors;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * A TON validator-engine (as mytonctrl installs it), docs/adapters.md#ton. Status from the console's
 * {@code getstats} and the lite client's {@code getconfig 34/36}; the chain's view of the key from the masterchain's
 * block creator statistics through the lite client ({@link TonChainEvidence}), or from the operator's
 * {@code evidence} command when one is configured (the console keeps no record of the key's votes).
 *
 * <p>A standby runs the engine as a full node whose {@code db/config.json} has no {@code validators} entries. Its
 * keys come as keyring files plus the entries' ids and dates; {@code install} copies the keyring files and records
 * the entries in a replay plan, and only {@code activate} replays {@code addpermkey}, {@code addtempkey},
 * {@code addadnl} and {@code addvalidatoraddr} through the console, since a running engine starts validating as
 * soon as it has them. {@code deactivate} stops the engine (the only way to end its validator sessions), moves the
 * entries from config.json into the plan and starts it again as a full node; {@code standby_start} (the guard,
 * before every start) moves them likewise.
 */
public final class TonAdapter implements NodeAdapter {
    private static final Logger LOG = LogManager.getLogger(TonAdapter.class);

    private final Program console;
    private final Program liteClient;
    private final Program evidence;
    private final Path db;
    private final Path plan;
    private final String user;
    private final Systemd systemd;
    private final String service;
    private final String electionService;
    private final long syncThresholdS;
    private final long blockMs;
    private final long silenceIntervals;
    private final ElectionFiles electionFiles;
    private final LongSupplier nowSeconds;
    /** The last {@code total.validated_blocks.master} ok count this adapter saw, to tell a rising counter. */
    private long lastValidated = -1;

    /** {@code evidence} null: the chain's view from the creator statistics ({@link TonChainEvidence}). */
    TonAdapter(Program console, Program liteClient, Program evidence, Path db, Path plan, String user, String systemctl,
            String service, String electionService, Duration timeout, long syncThresholdS, long blockMs, long silenceIntervals,
            ElectionFiles electionFiles, LongSupplier nowSeconds) {
        this.console = console;
        this.liteClient = liteClient;
        this.evidence = evidence;
        this.db = db;
        this.plan = plan;
        this.user = user;
        this.systemd = new Systemd(systemctl, timeout);
        this.service = service;
        this.electionService = electionService;
        this.syncThresholdS = syncThresholdS;
        this.blockMs = blockMs;
        this.silenceIntervals = silenceIntervals;
        this.electionFiles = electionFiles;
        this.nowSeconds = nowSeconds;
    }

    /** Reads {@code node.ton}; the replay plan lives in the helper's state directory. */
    public static TonAdapter fromConfig(String validator, Path stateDir, Section c) throws BadInputException {
        return fromConfig(validator, stateDir, c, false);
    }

    /**
     * {@code chainViewOnly}: the monitor's, which only asks the chain (the lite client) and needs no {@code console};
     * one given is still checked.
     */
    public static TonAdapter fromConfig(String validator, Path stateDir, Section c, boolean chainViewOnly) throws BadInputException {
        Duration timeout = Duration.ofMillis(c.integer("timeout_ms", 5000, 100, 120_000));
        Map<String, String> env = Map.of("UNDERSTUDY_VALIDATOR", validator);
        Program evidence = c.strings("evidence").isEmpty() ? null : Program.fromConfig(c, "evidence", "ton evidence", timeout, env);
        Program console = chainViewOnly && c.strings("console").isEmpty() ? null
                : Program.fromConfig(c, "console", "ton console", timeout, env);
        TonAdapter a = new TonAdapter(console,
                Program.fromConfig(c, "lite_client", "ton lite client", timeout, env), evidence,
                c.path("db_dir", Path.of("/var/ton-work/db")), stateDir.resolve("ton-replay.json"), c.string("user", "validator"),
                c.string("systemctl", "/usr/bin/systemctl"), c.string("service", "validator"), c.string("election_service", "mytoncore"),
                timeout, c.integer("sync_threshold_s", 20, 1, 3600), c.integer("block_ms", 5000, 100, 600_000),
                c.integer("evidence_silence_intervals", 10, 3, 1000), ElectionFiles.fromConfig(c),
                () -> System.currentTimeMillis() / 1000);
        c.done();
        return a;
    }

    @Override
    public String kind() {
        return "ton";
    }

    @Override
    public Access access() {
        // config.json and keyring/ in the database directory; the wallet and settings where election_files says
        List<Path> w = new ArrayList<>(List.of(db));
        w.addAll(Access.parents(electionFiles.paths()));
        return new Access(w, List.of(Access.unitName(service), Access.unitName(electionService)));
    }

    private TonStats stats() throws NodeException {
        return TonStats.parse(console().output("--cmd", "getstats"), console.source() + " getstats");
    }

    /** The console; none on the monitor, whose chain view asks only the lite client. */
    private Program console() throws NodeException {
        if (console == null) {
            throw NodeException.unavailable("node.ton.console is not configured (this host's chain view asks only the lite client)", null);
        }
        return console;
    }

    private TonValidatorSet set(int param) throws NodeException {
        return TonValidatorSet.parse(liteClient.output("--cmd", "getconfig " + param), param, liteClient.source() + " getconfig " + param);
    }

    private Path configFile() {
        return db.resolve("config.json");
    }

    private byte[] readConfig() throws NodeException {
        try {
            return Files.readAllBytes(configFile());
        } catch (IOException e) {
            throw NodeException.unavailable("cannot read " + configFile() + ": " + e.getMessage(), e);
        }
    }

    /** Synced, lag in masterchain blocks, masterchain seqno, and the periods as election ids (utime_since of 34/36). */
    @Override
    public NodeStatus status() throws NodeException {
        TonStats s = stats();
        TonValidatorSet current = set(34);
        TonValidatorSet next = set(36);
        long now = nowSeconds.getAsLong();
        List<TonKeys.Entry> entries = TonKeys.unexpired(readConfig(), now, configFile().toString());
        boolean validating = entries.stream().anyMatch(e -> e.electionDate() <= now);
        boolean adnlInSet = entries.stream().anyMatch(e -> e.adnlAddrs().stream().anyMatch(a -> current.contains(a.id())));
        long lag = s.outOfSync() * 1000 / blockMs;
        return new NodeStatus(s.outOfSync() < syncThresholdS, lag, s.masterchainSeqno(), current.since(), next.since(), validating,
                "out of sync " + s.outOfSync() + " s; validated masterchain blocks ok:" + s.validatedMasterOk()
                        + (s.activeValidatorGroups() ? "; validator groups active" : "") + (adnlInSet ? "; ADNL in the current set" : ""));
    }

    /**
     * The engine signs while it has validator groups, or while its validated-block counter rises. A stopped engine
     * signs nothing; an engine that runs but does not answer is doubt (an error).
     */
    @Override
    public synchronized boolean signing() throws NodeException {
        if (!systemd.isActive(service)) {
            lastValidated = -1;
            return false;
        }
        TonStats s = stats();
        boolean rising = lastValidated >= 0 && s.validatedMasterOk() > lastValidated;
        lastValidated = s.validatedMasterOk();
        return s.activeValidatorGroups() || rising;
    }

    /**
     * The operator's command when configured; otherwise the lite client's view: the current set (and the newest
     * masterchain block, printed before it), the next set, and the creator statistics of the last
     * {@link TonChainEvidence#LOOKBACK_S} seconds as of that block, judged for the keys of this host's entries.
     */
    @Override
    public Evidence evidence(int rounds) throws NodeException {
        return evidence(rounds, Set.of());
    }

    /**
     * With no entries of its own (the monitor), the key is found by the ADNL addresses the agents published
     * ({@code published}; anything that is not 64 hex digits is ignored).
     */
    @Override
    public Evidence evidence(int rounds, Set<String> published) throws NodeException {
        if (evidence != null) {
            return EvidenceJson.run(evidence, rounds);
        }
        String src = liteClient.source() + " getconfig 34";
        String answer = liteClient.output("--cmd", "getconfig 34");
        TonValidatorSet current = TonValidatorSet.parse(answer, 34, src);
        TonChainEvidence.Head head = TonChainEvidence.Head.parse(answer, src);
        TonValidatorSet next = set(36);
        List<TonKeys.Entry> entries = ourEntries();
        Set<String> adnl = entries.stream().flatMap(e -> e.adnlAddrs().stream()).map(TonKeys.Temp::id)
                .collect(Collectors.toCollection(java.util.HashSet::new));
        if (adnl.isEmpty()) {
            published.stream().map(i -> i.toUpperCase(java.util.Locale.ROOT)).filter(i -> i.matches("[0-9A-F]{64}")).forEach(adnl::add);
        }
        boolean bid = entries.stream().anyMatch(e -> e.electionDate() > current.since());
        String cmd = "recentcreatorstats " + head.blockId() + " " + Math.max(0, head.createdAt() - TonChainEvidence.LOOKBACK_S);
        TonCreatorStats stats = TonCreatorStats.parse(liteClient.output("--cmd", cmd), liteClient.source() + " recentcreatorstats");
        return TonChainEvidence.judge(head, current, next, stats, adnl, bid, rounds, blockMs, silenceIntervals);
    }

    /** The ADNL addresses of this host's unexpired entries (none when it cannot read them). */
    @Override
    public List<String> chainIds() {
        try {
            return ourEntries().stream().flatMap(e -> e.adnlAddrs().stream()).map(TonKeys.Temp::id).distinct().sorted().toList();
        } catch (NodeException e) {
            return List.of();
        }
    }

    /** This host's unexpired validator entries: config.json's (a holder's) and the replay plan's (a standby's). */
    private List<TonKeys.Entry> ourEntries() throws NodeException {
        long now = nowSeconds.getAsLong();
        List<TonKeys.Entry> out = new ArrayList<>();
        if (FileTrees.exists(configFile())) {
            out.addAll(TonKeys.unexpired(readConfig(), now, configFile().toString()));
        }
        readPlan().values().stream().filter(e -> e.expireAt() > now).forEach(out::add);
        return out;
    }

    /**
     * config.json (read on the standby for the entries' dates, never installed), the unexpired entries' keyring files,
     * and the election files ({@link ElectionFiles}).
     */
    @Override
    public KeySet keyFiles() throws NodeException {
        byte[] cfg = readConfig();
        List<KeyFile> files = new ArrayList<>();
        files.add(new KeyFile("config.json", 0600, cfg));
        List<PeriodKeys> periods = new ArrayList<>();
        for (TonKeys.Entry e : TonKeys.unexpired(cfg, nowSeconds.getAsLong(), configFile().toString())) {
            for (String id : e.keyringFiles()) {
                Path f = db.resolve("keyring").resolve(id);
                try {
                    files.add(new KeyFile("keyring/" + id, 0600, Files.readAllBytes(f)));
                } catch (IOException ex) {
                    throw NodeException.unavailable(configFile() + " names key " + id + " (election " + e.electionDate()
                            + "), but " + f + " cannot be read: " + ex.getMessage(), ex);
                }
            }
            periods.add(new PeriodKeys(e.electionDate(), List.of(e.permKey())));
        }
        files.addAll(electionFiles.read());
        return new KeySet(files, periods);
    }

    /**
     * Copies the keyring files of the bundle's unexpired entries, writes the election files to their paths, and adds
     * the entries to the replay plan.
     */
    @Override
    public void install(Path dir) throws NodeException {
        Path src = dir.resolve("config.json");
        byte[] cfg;
        try {
            cfg = Files.readAllBytes(src);
        } catch (IOException e) {
            throw NodeException.unavailable("bundle without config.json: " + e.getMessage(), e);
        }
        List<TonKeys.Entry> entries = TonKeys.unexpired(cfg, nowSeconds.getAsLong(), "bundle config.json");
        try {
            Path keyring = db.resolve("keyring");
            for (TonKeys.Entry e : entries) {
                for (String id : e.keyringFiles()) {
                    Path from = dir.resolve("keyring").resolve(id);
                    if (!Files.isRegularFile(from)) {
                        throw NodeException.badOutput("bundle: keyring/" + id + " missing (named by config.json's entry of election "
                                + e.electionDate() + ")");
                    }
                    Path to = keyring.resolve(id);
                    AtomicFiles.copy(from, to, AtomicFiles.PRIVATE);
                    FileTrees.chownIfAble(to, user);
                }
            }
            electionFiles.install(dir);
            savePlan(merge(readPlan(), entries));
        } catch (IOException e) {
            throw NodeException.unavailable("installing keys into " + db + ": " + e.getMessage(), e);
        }
    }

    /** Replays the plan's entries the engine lacks, then starts or stops the election service. */
    @Override
    public void activate(Activation activation) throws NodeException {
        boolean electionDuty = activation.electionDuty();
        long now = nowSeconds.getAsLong();
        Map<String, TonKeys.Entry> have = new LinkedHashMap<>();
        for (TonKeys.Entry e : TonKeys.unexpired(readConfig(), now, configFile().toString())) {
            have.put(e.permKey(), e);
        }
        for (TonKeys.Entry e : readPlan().values()) {
            if (e.expireAt() <= now) {
                continue;
            }
            TonKeys.Entry had = have.get(e.permKey());
            if (had == null) {
                run("addpermkey " + e.permKey() + " " + e.electionDate() + " " + e.expireAt());
            }
            Set<String> temps = had == null ? Set.of() : had.tempKeys().stream().map(TonKeys.Temp::id).collect(Collectors.toSet());
            for (TonKeys.Temp t : e.tempKeys()) {
                if (!temps.contains(t.id())) {
                    run("addtempkey " + e.permKey() + " " + t.id() + " " + t.expireAt());
                }
            }
            Set<String> adnls = had == null ? Set.of() : had.adnlAddrs().stream().map(TonKeys.Temp::id).collect(Collectors.toSet());
            for (TonKeys.Temp a : e.adnlAddrs()) {
                if (!adnls.contains(a.id())) {
                    run("addadnl " + a.id() + " 0");
                    run("addvalidatoraddr " + e.permKey() + " " + a.id() + " " + a.expireAt());
                }
            }
        }
        if (!electionService.isEmpty()) {
            systemd.ok(electionDuty ? "start" : "stop", electionService);
        }
    }

    /** A console command that must answer success. */
    private void run(String cmd) throws NodeException {
        String out = console().output("--cmd", cmd);
        if (!out.toLowerCase(Locale.ROOT).contains("success")) {
            String last = out.strip().lines().reduce((a, b) -> b).orElse("");
            throw NodeException.badOutput(console.source() + " " + cmd.split(" ")[0] + ": no 'success' in the answer: " + last);
        }
    }

    @Override
    public java.time.Duration deactivationBudget() {
        // stop the election service, stop the engine, start it as a full node; then is-active and getstats
        return systemd.timeout().multipliedBy(5);
    }

    /**
     * Stops bidding, and if the engine has validator entries: stops it, moves the entries into the plan, and starts
     * it again as a full node (the guard lets it start; it has nothing to sign with).
     */
    @Override
    public void deactivate() throws NodeException {
        if (!electionService.isEmpty()) {
            systemd.ok("stop", electionService);
        }
        if (!hasEntries()) {
            return;
        }
        systemd.ok("stop", service);
        stripEntries();
        Command.Result r = systemd.run("start", service);
        if (r.exit() != 0) {
            // not signing is what deactivate promises; a full node that does not come back shows as not synced
            LOG.error("{} stopped and its validator entries removed, but starting it again as a full node failed (exit {}): {}",
                    service, r.exit(), r.stderrTail());
        }
    }

    private boolean hasEntries() throws NodeException {
        JsonNode v = Fields.object(readConfig(), configFile().toString()).get("validators");
        return v != null && v.isArray() && !v.isEmpty();
    }

    /** Before the engine starts without the role: config.json keeps no validator entries (they go to the plan). */
    @Override
    public boolean prepareStandbyStart() throws NodeException {
        stripEntries();
        return true;
    }

    private void stripEntries() throws NodeException {
        byte[] cfg = readConfig();
        ObjectNode root = Fields.object(cfg, configFile().toString());
        JsonNode v = root.get("validators");
        if (v == null || !v.isArray() || v.isEmpty()) {
            return;
        }
        try {
            savePlan(merge(readPlan(), TonKeys.unexpired(cfg, nowSeconds.getAsLong(), configFile().toString())));
            root.set("validators", Json.array());
            Files.copy(configFile(), db.resolve("config.json.understudy-before-standby"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            AtomicFiles.write(configFile(), Json.pretty(root), AtomicFiles.PRIVATE);
            FileTrees.chownIfAble(configFile(), user);
        } catch (IOException e) {
            throw NodeException.unavailable("removing the validator entries from " + configFile() + ": " + e.getMessage(), e);
        }
    }

    // ------------------------------------------------------------------ the replay plan

    private Map<String, TonKeys.Entry> readPlan() throws NodeException {
        Map<String, TonKeys.Entry> out = new LinkedHashMap<>();
        byte[] raw;
        try {
            // the guard reads it as root in the service user's directory
            raw = FileTrees.readRegular(plan, 1 << 20);
        } catch (NoSuchFileException e) {
            return out;
        } catch (IOException e) {
            throw NodeException.unavailable("cannot read " + plan + ": " + e.getMessage(), e);
        }
        JsonNode list = Fields.object(raw, plan.toString()).get("entries");
        if (list == null || !list.isArray()) {
            throw NodeException.badOutput(plan + ": field 'entries' missing or not a list");
        }
        int i = 0;
        for (JsonNode n : list) {
            String at = plan + ": entries[" + i++ + "]";
            TonKeys.Entry e = new TonKeys.Entry(Fields.text(n, "perm_key", at), Fields.integer(n, "election_date", at),
                    Fields.integer(n, "expire_at", at), temps(n, "temp_keys", at), temps(n, "adnl_addrs", at));
            out.put(e.permKey(), e);
        }
        return out;
    }

    private static List<TonKeys.Temp> temps(JsonNode n, String field, String at) throws NodeException {
        JsonNode list = n.get(field);
        if (list == null || !list.isArray()) {
            throw NodeException.badOutput(at + ": field '" + field + "' missing or not a list");
        }
        List<TonKeys.Temp> out = new ArrayList<>();
        for (JsonNode t : list) {
            out.add(new TonKeys.Temp(Fields.text(t, "id", at + "." + field), Fields.integer(t, "expire_at", at + "." + field)));
        }
        return out;
    }

    private Map<String, TonKeys.Entry> merge(Map<String, TonKeys.Entry> planned, List<TonKeys.Entry> more) {
        long now = nowSeconds.getAsLong();
        Map<String, TonKeys.Entry> out = new LinkedHashMap<>();
        planned.values().stream().filter(e -> e.expireAt() > now).forEach(e -> out.put(e.permKey(), e));
        more.forEach(e -> out.put(e.permKey(), e));
        return out;
    }

    private void savePlan(Map<String, TonKeys.Entry> entries) throws IOException {
        ArrayNode list = Json.array();
        for (TonKeys.Entry e : entries.values()) {
            ObjectNode o = list.addObject().put("perm_key", e.permKey()).put("election_date", e.electionDate()).put("expire_at", e.expireAt());
            ArrayNode t = o.putArray("temp_keys");
            e.tempKeys().forEach(k -> t.addObject().put("id", k.id()).put("expire_at", k.expireAt()));
            ArrayNode a = o.putArray("adnl_addrs");
            e.adnlAddrs().forEach(k -> a.addObject().put("id", k.id()).put("expire_at", k.expireAt()));
        }
        ObjectNode root = Json.object();
        root.set("entries", list);
        AtomicFiles.write(plan, Json.pretty(root), AtomicFiles.PRIVATE);
    }
}
