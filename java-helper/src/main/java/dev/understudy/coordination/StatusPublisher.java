package dev.understudy.coordination;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.understudy.bundle.BundleStore;
import dev.understudy.bundle.Keys;
import dev.understudy.cli.BadInputException;
import dev.understudy.common.Json;
import dev.understudy.config.Config;
import dev.understudy.config.CoordinationSettings;
import dev.understudy.node.NodeAdapter;
import dev.understudy.node.NodeException;
import dev.understudy.node.NodeStatus;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Publishes this agent's status ({@code status/HOST}, on a lease of its own) once a second, or once per node check
 * interval when that is longer: role, epoch, sync, lag, signing, validation, the key ids it would sign with and
 * whether they cover the current and next period (and match the holder's), whether the validator is in the current
 * set, the bundles it quarantined, its watchdog, its last error. It runs on its own thread: it asks the node and the
 * chain, which may be slow.
 */
final class StatusPublisher implements AutoCloseable {
    private final Config config;
    private final CoordinationSettings cs;
    private final Etcd etcd;
    private final NodeAdapter node;
    private final NodeObserver observer;
    private final Keys keys;
    private final HangWatchdog watchdog;
    private final String key;
    private final long checkNanos;
    private final Consumer<String> error;
    private long statusLease;
    private long statusLeaseRenewedNanos;
    private long nextNanos = System.nanoTime();
    /** The chain's view of this validator (in the current set?) and the ids it knows the keys by, looked at together. */
    private Boolean inCurrentSet;
    private List<String> chainIds = List.of();
    private long chainLookAtNanos;

    StatusPublisher(Config config, Etcd etcd, NodeAdapter node, NodeObserver observer, Keys keys, HangWatchdog watchdog,
            long checkNanos, Consumer<String> error) throws BadInputException {
        this.config = config;
        this.error = error;
        this.cs = config.coordination();
        this.etcd = etcd;
        this.node = node;
        this.observer = observer;
        this.keys = keys;
        this.watchdog = watchdog;
        this.key = cs.prefix(config.validator()) + Snapshot.STATUS + config.host();
        this.checkNanos = checkNanos;
    }

    /**
     * Publishes when due, from the latest snapshot this agent read. {@code lastHolder} is the host that held the role
     * last (its status says which keys it signs with; null: none), {@code lastHeldEpoch} the last epoch under which
     * this host held it (which keys its node's are); the role and the last error are read at publication time.
     */
    void maybePublish(Snapshot latest, Supplier<Role> roleNow, String lastHolder, long lastHeldEpoch, Supplier<String> lastError) {
        long now = System.nanoTime();
        if (now - nextNanos < 0) {
            return;
        }
        nextNanos = now + Math.max(Duration.ofSeconds(1).toNanos(), checkNanos);
        ObjectNode s = Json.object();
        s.put("host", config.host()).put("adapter", node.kind());
        Role before = roleNow.get();
        try {
            fill(s, latest, before, lastHolder, lastHeldEpoch);
        } catch (NodeException | IOException | BadInputException e) {
            s.put("nodeError", e.getMessage());
        }
        // the role and the time as of now, after the node's answers (with the command adapter, program runs that took
        // seconds on a loaded host): a status is as fresh as its publication
        long done = System.nanoTime();
        Role role = roleNow.get();
        s.put("role", role.holding() ? "holder" : "standby").put("epoch", role.epoch())
                .put("cooldown", role.coolingDown(done))
                .put("updatedAtMs", System.currentTimeMillis()).put("buildMs", (done - now) / 1_000_000)
                .put("watchdog", watchdog.armed() ? "armed" : cs.watchdog().driver())
                .put("lastError", lastError.get());
        try {
            Duration rt = cs.requestTimeout();
            renewStatusLease(done, rt);
            etcd.put(key, Json.MAPPER.writeValueAsString(s), statusLease, rt);
        } catch (EtcdException | JsonProcessingException e) {
            // the lease may be gone (etcd restored, a long pause): the next publication starts a new one
            statusLease = 0;
            error.accept("publishing status: " + e.getMessage());
        }
    }

    /**
     * The status key's lease lives {@link #STATUS_TTL_FACTOR} signing-role TTLs (at least 5 s) and is renewed when a
     * third of that has passed, not with every publication: one etcd request a second fewer, and a stopped agent's
     * status still disappears within one status TTL.
     */
    private void renewStatusLease(long nowNanos, Duration rt) throws EtcdException {
        long ttl = Math.max(5, cs.leaseTtl().toSeconds() * STATUS_TTL_FACTOR);
        if (statusLease != 0 && nowNanos - statusLeaseRenewedNanos < Duration.ofSeconds(ttl).toNanos() / 3) {
            return;
        }
        if (statusLease == 0 || etcd.keepAlive(statusLease, rt) <= 0) {
            statusLease = etcd.grant(ttl, rt);
        }
        statusLeaseRenewedNanos = nowNanos;
    }

    /** The status lease's TTL in signing-role lease TTLs. */
    static final int STATUS_TTL_FACTOR = 2;

    /**
     * How long an answer to "is the validator in the current set" (and the ids the chain knows its keys by) is shown
     * again before the node is asked anew: both change at elections, hours apart; the loop's decisions never read them
     * from here (they ask the node).
     */
    static final Duration IN_SET_REUSE = Duration.ofSeconds(10);

    private void fill(ObjectNode s, Snapshot latest, Role role, String lastHolder, long lastHeldEpoch)
            throws NodeException, IOException, BadInputException {
        // what the loop's checks just asked is not asked again (with the command adapter, each is a program run)
        long window = checkNanos + cs.pollInterval().toNanos();
        NodeStatus st = observer.recentStatus(role.generation(), window);
        if (st == null) {
            st = node.status();
        }
        Boolean signing = observer.recentSigning(role.generation(), window);
        if (signing == null) {
            signing = node.signing();
        }
        s.put("synced", st.synced()).put("lagRounds", st.lagRounds()).put("round", st.round())
                .put("validation", st.validationEnabled()).put("signing", signing)
                .put("currentPeriod", st.currentPeriod()).put("nextPeriod", st.nextPeriod());
        ObjectNode k = s.putObject("keys");
        String holder = role.holding() || config.host().equals(lastHolder) ? null : lastHolder;
        ObjectNode ids = k.putObject("ids");
        Map<Long, List<String>> all = keys.signingIds(List.of(st.currentPeriod(), st.nextPeriod()), lastHeldEpoch);
        long nowMs = System.currentTimeMillis();
        for (String which : List.of("current", "next")) {
            long period = which.equals("current") ? st.currentPeriod() : st.nextPeriod();
            List<String> mine = all.getOrDefault(period, List.of());
            ids.set(Long.toString(period), Json.MAPPER.valueToTree(mine));
            String behind = Switchover.keysBehind(holder, latest.status(holder), period, mine, nowMs);
            k.put(which, !mine.isEmpty() && behind == null);
            if (behind != null) {
                k.put(which + "Behind", behind);
            }
        }
        long now = System.nanoTime();
        if (inCurrentSet == null || now - chainLookAtNanos >= IN_SET_REUSE.toNanos()) {
            chainIds = node.chainIds();
            inCurrentSet = node.evidence(cs.takeoverRounds()).inCurrentSet();
            chainLookAtNanos = now;
        }
        s.put("inCurrentSet", inCurrentSet);
        if (!chainIds.isEmpty()) {
            // how the chain names this validator's keys: the monitor judges the chain's view by them (TON: ADNL)
            s.set("chainIds", Json.MAPPER.valueToTree(chainIds));
        }
        ObjectNode refusals = dev.understudy.transfer.Push.refusals(config.stateDir());
        if (!refusals.isEmpty()) {
            s.putObject("push").set("refused", refusals);
        }
        List<ObjectNode> q = BundleStore.of(config).quarantined();
        ObjectNode b = s.putObject("bundles");
        b.put("quarantined", q.size());
        if (!q.isEmpty()) {
            b.set("lastRejection", q.get(q.size() - 1));
        }
    }

    /** The status key expires with its lease: revoking it says at once that this agent stopped. */
    @Override
    public void close() {
        try {
            if (statusLease != 0) {
                etcd.revoke(statusLease, cs.requestTimeout());
            }
        } catch (EtcdException e) {
            // the status key expires with its lease
        }
    }

}
