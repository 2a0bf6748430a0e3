package dev.understudy.node.multiversx;

import dev.understudy.cli.BadInputException;
import dev.understudy.common.AtomicFiles;
import dev.understudy.common.Command;
import dev.understudy.common.FileTrees;
import dev.understudy.common.HttpJson;
import dev.understudy.config.Section;
import dev.understudy.node.Access;
import dev.understudy.node.Activation;
import dev.understudy.node.Evidence;
import dev.understudy.node.KeyFile;
import dev.understudy.node.KeySet;
import dev.understudy.node.NodeAdapter;
import dev.understudy.node.NodeException;
import dev.understudy.node.NodeStatus;
import dev.understudy.node.PeriodKeys;
import dev.understudy.node.Systemd;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * A MultiversX node (mx-chain-go), docs/adapters.md#the-multiversx-adapter. Every host runs the node with the same
 * {@code validatorKey.pem}; {@code prefs.toml}'s {@code RedundancyLevel} is the switch: 0 on the host holding the
 * role, this host's {@code standby_level} (at least 1000: a level the node never reaches by itself, so the native
 * fail-over never acts on its own) everywhere else. The node reads the level at start, so activate and deactivate
 * each restart it; the guard sets the standby level before every start without the role.
 *
 * <p>The chain's view comes from {@code /validator/statistics}: the key's cumulative counts of rounds in which it was
 * due and signed or did not. A key is due only in some rounds, so "no new signature in K rounds" says nothing; the
 * standby takes over only after {@code missed_threshold} due rounds were missed since the key last signed (as the
 * node's own fail-over counts them), and the adapter must have watched that happen: a fresh adapter, or counters
 * that went backwards, is doubt.
 */
public final class MxAdapter implements NodeAdapter {
    private static final Logger LOG = LogManager.getLogger(MxAdapter.class);
    private static final Pattern PEM_KEY = Pattern.compile("-----BEGIN PRIVATE KEY for ([0-9a-fA-F]{192})-----");
    static final String KEY_FILE = "validatorKey.pem";

    private final HttpJson api;
    private final HttpJson statistics;
    private final Path configDir;
    private final long standbyLevel;
    private final long missedThreshold;
    private final String user;
    private final Systemd systemd;
    private final String service;
    private final long roundMs;
    /** What evidence has watched: (round, success, failure) samples since before the key last signed. */
    private final List<long[]> samples = new ArrayList<>();

    MxAdapter(HttpJson api, HttpJson statistics, Path configDir, long standbyLevel, long missedThreshold, String user, Systemd systemd,
            String service, long roundMs) {
        this.api = api;
        this.statistics = statistics;
        this.configDir = configDir;
        this.standbyLevel = standbyLevel;
        this.missedThreshold = missedThreshold;
        this.user = user;
        this.systemd = systemd;
        this.service = service;
        this.roundMs = roundMs;
    }

    public static MxAdapter fromConfig(Section c) throws BadInputException {
        Duration timeout = Duration.ofMillis(c.integer("timeout_ms", 5000, 100, 120_000));
        MxAdapter a = new MxAdapter(new HttpJson(c.string("api_url", "http://127.0.0.1:8080"), timeout),
                new HttpJson(c.string("statistics_url"), timeout), c.path("config_dir"),
                c.integer("standby_level", 1_000_000, 1000, Integer.MAX_VALUE), c.integer("missed_threshold", 3, 1, 1000),
                c.string("user", "validator"), new Systemd(c.string("systemctl", "/usr/bin/systemctl"), timeout), c.string("service"),
                c.integer("round_ms", 6000, 100, 600_000));
        c.done();
        return a;
    }

    @Override
    public String kind() {
        return "multiversx";
    }

    @Override
    public Access access() {
        // validatorKey.pem and prefs.toml
        return new Access(List.of(configDir), List.of(Access.unitName(service)));
    }

    private MxStatus nodeStatus() throws NodeException {
        try {
            return MxStatus.parse(api.get("/node/status"), api.base() + "/node/status");
        } catch (IOException e) {
            throw NodeException.unavailable("multiversx node " + api.base() + "/node/status: " + e.getMessage(), e);
        }
    }

    private Path prefs() {
        return configDir.resolve("prefs.toml");
    }

    private String readPrefs() throws NodeException {
        try {
            return Files.readString(prefs(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw NodeException.unavailable("cannot read " + prefs() + ": " + e.getMessage(), e);
        }
    }

    private long level() throws NodeException {
        return MxPrefs.redundancyLevel(readPrefs(), prefs().toString());
    }

    /** The BLS public key named in validatorKey.pem's header (lower-case hex). */
    String blsKey() throws NodeException {
        Path f = configDir.resolve(KEY_FILE);
        try {
            Matcher m = PEM_KEY.matcher(Files.readString(f, StandardCharsets.US_ASCII));
            if (!m.find()) {
                throw NodeException.badOutput(f + ": no '-----BEGIN PRIVATE KEY for <192 hex digits>-----' header");
            }
            return m.group(1).toLowerCase(java.util.Locale.ROOT);
        } catch (IOException e) {
            throw NodeException.unavailable("cannot read " + f + ": " + e.getMessage(), e);
        }
    }

    /** Synced, lag in blocks, the round; the periods are epochs; validation is on while prefs.toml says level 0. */
    @Override
    public NodeStatus status() throws NodeException {
        MxStatus s = nodeStatus();
        long level = level();
        return new NodeStatus(!s.syncing(), s.syncing() ? 1 : 0, s.round(), s.epoch(), s.epoch() + 1, level == 0,
                "peer type " + s.peerType() + ", redundancy level " + s.redundancyLevel() + " (prefs.toml " + level + "), main active "
                        + s.mainActive());
    }

    /**
     * A stopped node signs nothing, nor does one that runs as an observer (syncing, or a standby advertising its
     * observer key); a running node at level 0 with its validator key signs when due. At the standby level it
     * never steps in by itself. A level in prefs.toml that differs from the running node's (edited without a
     * restart) counts as signing if either is 0.
     */
    @Override
    public boolean signing() throws NodeException {
        if (!systemd.isActive(service)) {
            return false;
        }
        MxStatus s = nodeStatus();
        return (s.redundancyLevel() == 0 || level() == 0) && !"observer".equals(s.peerType());
    }

    @Override
    public synchronized Evidence evidence(int rounds) throws NodeException {
        long round = nodeStatus().round();
        MxStats st;
        try {
            st = MxStats.parse(statistics.get(""), blsKey(), statistics.base());
        } catch (IOException e) {
            throw NodeException.unavailable("multiversx statistics " + statistics.base() + ": " + e.getMessage(), e);
        }
        if (!samples.isEmpty()) {
            long[] last = samples.get(samples.size() - 1);
            if (st.success() < last[1] || st.failure() < last[2]) {
                samples.clear(); // counters went back (another node answered, or it restarted): start watching again
            }
        }
        samples.add(new long[] {round, st.success(), st.failure()});
        int lastRise = -1;
        for (int i = samples.size() - 1; i > 0; i--) {
            if (samples.get(i)[1] > samples.get(i - 1)[1]) {
                lastRise = i;
                break;
            }
        }
        long[] base = samples.get(Math.max(lastRise, 0));
        long missed = st.failure() - base[2];
        boolean signedRecently = missed < missedThreshold;
        long lastVote = lastRise >= 0 ? samples.get(lastRise)[0] : -1;
        // keep what the next look needs: the sample before the last rise onwards (or the first, if none)
        int keepFrom = lastRise > 0 ? lastRise - 1 : 0;
        if (keepFrom > 0) {
            samples.subList(0, keepFrom).clear();
        }
        if (samples.size() > 100_000) {
            samples.subList(1, samples.size() - 1).clear();
        }
        boolean eligible = "eligible".equals(st.validatorStatus());
        return new Evidence(signedRecently, lastVote, lastVote, round, rounds, eligible, eligible || "waiting".equals(st.validatorStatus()),
                signedRecently ? 1 : 0, 0, 0, roundMs);
    }

    /** validatorKey.pem; the same key serves every epoch, listed for this epoch and the next. */
    @Override
    public KeySet keyFiles() throws NodeException {
        Path f = configDir.resolve(KEY_FILE);
        String key = blsKey();
        long epoch = nodeStatus().epoch();
        try {
            return new KeySet(List.of(new KeyFile(KEY_FILE, 0600, Files.readAllBytes(f))),
                    List.of(new PeriodKeys(epoch, List.of(key)), new PeriodKeys(epoch + 1, List.of(key))));
        } catch (IOException e) {
            throw NodeException.unavailable("cannot read " + f + ": " + e.getMessage(), e);
        }
    }

    /** Puts validatorKey.pem in place (the node loads it at its next start, which activate does). */
    @Override
    public void install(Path dir) throws NodeException {
        Path from = dir.resolve(KEY_FILE);
        try {
            if (!PEM_KEY.matcher(Files.readString(from, StandardCharsets.US_ASCII)).find()) {
                throw NodeException.badOutput("bundle " + KEY_FILE + ": no '-----BEGIN PRIVATE KEY for <192 hex digits>-----' header");
            }
            Path to = configDir.resolve(KEY_FILE);
            AtomicFiles.copy(from, to, AtomicFiles.PRIVATE);
            FileTrees.chownIfAble(to, user);
        } catch (IOException e) {
            throw NodeException.unavailable("installing " + KEY_FILE + " into " + configDir + ": " + e.getMessage(), e);
        }
    }

    private void writeLevel(long level) throws NodeException {
        try {
            AtomicFiles.write(prefs(), MxPrefs.withRedundancyLevel(readPrefs(), level, prefs().toString()).getBytes(StandardCharsets.UTF_8),
                    Files.getPosixFilePermissions(prefs()));
            FileTrees.chownIfAble(prefs(), user);
        } catch (IOException e) {
            throw NodeException.unavailable("writing " + prefs() + ": " + e.getMessage(), e);
        }
    }

    /** Level 0 and a restart (the caller holds the role, so the former holder has stopped). No elections here. */
    @Override
    public void activate(Activation activation) throws NodeException {
        if (level() == 0 && systemd.isActive(service) && nodeStatus().redundancyLevel() == 0) {
            return;
        }
        systemd.ok("stop", service);
        writeLevel(0);
        systemd.ok("start", service);
    }

    @Override
    public java.time.Duration deactivationBudget() {
        // is-active, /node/status, stop, start at the standby level; then the signing check's two calls
        return systemd.timeout().multipliedBy(6);
    }

    /** Back to the standby level: stop, write it, start again as a standby. */
    @Override
    public void deactivate() throws NodeException {
        boolean running = systemd.isActive(service);
        if (level() == standbyLevel && (!running || nodeStatus().redundancyLevel() == standbyLevel)) {
            return;
        }
        systemd.ok("stop", service);
        writeLevel(standbyLevel);
        Command.Result r = systemd.run("start", service);
        if (r.exit() != 0) {
            LOG.error("{} stopped and set to redundancy level {}, but starting it again failed (exit {}): {}", service, standbyLevel,
                    r.exit(), r.stderrTail());
        }
    }

    /** Before the node starts without the role: the standby level in prefs.toml. */
    @Override
    public boolean prepareStandbyStart() throws NodeException {
        if (level() != standbyLevel) {
            writeLevel(standbyLevel);
        }
        return true;
    }
}
