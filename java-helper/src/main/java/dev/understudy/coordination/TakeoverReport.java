package dev.understudy.coordination;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.understudy.common.AtomicFiles;
import dev.understudy.common.Json;
import dev.understudy.node.Evidence;
import dev.understudy.node.NodeAdapter;
import dev.understudy.node.NodeException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The report of a takeover: when the leader key was first seen absent, when this host acquired the role and activated
 * its node, the previous holder's last vote round, the first round this host signed and the rounds lost between. Begun
 * at activation; completed once the chain shows this host's first signature, then written to etcd
 * ({@code reports/EPOCH}) and {@code STATE/takeovers.jsonl}.
 */
final class TakeoverReport {
    private static final Logger LOG = LogManager.getLogger(TakeoverReport.class);
    private final Etcd etcd;
    private final String reportsPrefix;
    private final Path file;
    private final Duration timeout;
    private final int takeoverRounds;
    private final String tag;
    private ObjectNode pending;

    TakeoverReport(Etcd etcd, String reportsPrefix, Path stateDir, Duration timeout, int takeoverRounds, String tag) {
        this.etcd = etcd;
        this.reportsPrefix = reportsPrefix;
        this.file = stateDir.resolve("takeovers.jsonl");
        this.timeout = timeout;
        this.takeoverRounds = takeoverRounds;
        this.tag = tag;
    }

    /** A takeover's node was activated: the report waits for its first signature. */
    void begin(String validator, String host, long epoch, Action.Acquire a, long absentObservedAtMs, long acquiredAtMs) {
        ObjectNode r = Json.object();
        r.put("validator", validator).put("host", host).put("epoch", epoch).put("kind", a.kind()).put("afterRelease", a.release())
                .put("previousHolder", a.previousHolder()).put("previousEpoch", a.previousEpoch())
                .put("absentObservedAtMs", absentObservedAtMs).put("acquiredAtMs", acquiredAtMs)
                .put("activatedAtMs", System.currentTimeMillis()).put("notBeforeRound", a.notBeforeRound())
                .put("joinAfterMs", a.joinAfterMs());
        Evidence ev = a.evidence();
        if (ev != null) {
            r.put("previousLastVoteRound", ev.lastVoteRound()).put("acquiredAtRound", ev.chainRound()).put("roundMs", ev.roundMs());
        }
        pending = r;
    }

    /** No report for this role (adopted after a restart), or the role was lost before the first signature. */
    void drop() {
        pending = null;
    }

    /** Once the chain shows this host's first signature, completes and writes the report. */
    void poll(NodeAdapter node) throws NodeException, EtcdException, IOException {
        ObjectNode r = pending;
        if (r == null) {
            return;
        }
        Evidence ev = node.evidence(takeoverRounds);
        long before = r.path("previousLastVoteRound").asLong(-1);
        if (ev.lastSignedRound() <= before || System.currentTimeMillis() <= r.path("activatedAtMs").asLong()) {
            return;
        }
        r.put("firstSignedRound", ev.lastSignedRound()).put("firstSignedObservedAtMs", System.currentTimeMillis());
        if (before >= 0) {
            r.put("roundsLost", ev.lastSignedRound() - before - 1);
        }
        String json = Json.MAPPER.writeValueAsString(r);
        etcd.put(reportsPrefix + r.path("epoch").asLong(), json, 0, timeout);
        Files.writeString(file, json + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        AtomicFiles.ownLikeParent(file);
        LOG.warn("{}takeover report: {}", tag, json);
        pending = null;
    }
}
