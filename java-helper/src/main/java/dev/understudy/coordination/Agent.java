package dev.understudy.coordination;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.understudy.alert.Alert;
import dev.understudy.alert.AlertName;
import dev.understudy.alert.Alerting;
import dev.understudy.bundle.Bundle;
import dev.understudy.bundle.BundleStore;
import dev.understudy.cli.BadInputException;
import dev.understudy.common.AtomicFiles;
import dev.understudy.common.Command;
import dev.understudy.common.FileTrees;
import dev.understudy.common.Json;
import dev.understudy.common.RunLock;
import dev.understudy.config.Config;
import dev.understudy.config.CoordinationSettings;
import dev.understudy.config.HostEntry;
import dev.understudy.identity.IdentityStore;
import dev.understudy.node.Evidence;
import dev.understudy.node.KeyFile;
import dev.understudy.node.NodeAdapter;
import dev.understudy.node.NodeException;
import dev.understudy.node.NodeStatus;
import dev.understudy.node.PeriodKeys;
import dev.understudy.transfer.Push;
import dev.understudy.watchdog.WatchdogSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The agent on a validator host (main or backup). It holds the signing role — the etcd key
 * {@code /understudy/VALIDATOR/leader} on a lease — or stands by to take it.
 *
 * <p>As holder it keeps the lease alive, and stops signing on its own (self-fencing) once
 * {@code fenceAfter = lease_ttl - margin - watchdog timeout} has passed since the send time of the last
 * acknowledged keep-alive; it feeds the hang watchdog only before that moment. It also steps down when its
 * node is unhealthy, when asked to (demote, switchover), and when it stops.
 *
 * <p>As standby it keeps its node from signing, and takes the role only when the leader key is absent, the
 * chain shows no vote of the validator key for {@code takeover_rounds} rounds, its node is synced, and it
 * holds the keys of the current period; then it creates the key in one create-if-absent transaction, installs
 * the keys and activates the node (which starts with the next round, never the one in progress).
 */
public final class Agent implements AutoCloseable {
    private static final Logger LOG = LogManager.getLogger(Agent.class);

    private final Config config;
    private final CoordinationSettings cs;
    private final Etcd etcd;
    private final NodeAdapter node;
    private final HangWatchdog watchdog;
    private final Keys keys;
    private final String self;
    private final boolean isMain;
    private final String tag;

    // Role state: written under roleLock; read by the fence and keep-alive threads without it.
    private final Object roleLock = new Object();
    private volatile boolean holder;
    private volatile long lease;
    private volatile long epoch;
    private volatile long lastAckSendNanos;
    private volatile long generation;

    // Main-loop state.
    private long activatedAtNanos;
    private int unhealthy;
    private volatile long cooldownUntilNanos;
    private long absentSinceNanos = -1;
    private long absentSinceMs;
    private volatile String lastHolder;
    private long lastEpoch;
    /** The last epoch under which this host held the role (kept in role.json across restarts). */
    private volatile long lastHeldEpoch;
    private volatile long statusLease;
    private volatile long nextStatusNanos;
    private long nextPushNanos;
    private long lastEvidenceLogNanos;
    private ObjectNode report;
    private Evidence lastEvidence;
    private volatile String lastError = "";
    private volatile long lastErrorAtMs;
    /** The periodic node checks' spacing (0: every poll) and when the next is due; see {@link #nodeCheckDue()}. */
    private final long nodeCheckNanos;
    private long nextNodeCheckNanos;
    /** The periodic checks' latest answers, which the status publisher reuses (see {@link Answer}). */
    private volatile Answer<NodeStatus> checkedStatus;
    private volatile Answer<Boolean> checkedSigning;

    /**
     * A node's answer to a periodic check, with when and under which role generation it was given. The status
     * publisher reuses it instead of asking again while it is younger than the check spacing and the role has not
     * changed since; the agent's decisions (health, keeping a standby quiet, readiness, activation, stopping) always
     * ask the node themselves.
     */
    private record Answer<T>(T value, long atNanos, long generation) {
    }

    /** The pause after a keep-alive that failed at once, before the next (see keepAliveTick). */
    static final long KEEPALIVE_RETRY_MS = 50;
    /** Keep-alives waiting at once while none is acknowledged (see keepAliveTick). */
    static final int KEEPALIVE_IN_FLIGHT = 4;
    private final HedgedCall keepAlives;

    private final ScheduledExecutorService timers = Executors.newScheduledThreadPool(2, r -> daemon(r, "agent-timer"));
    private final ExecutorService background = Executors.newSingleThreadExecutor(r -> daemon(r, "agent-push"));
    private final ExecutorService statusThread = Executors.newSingleThreadExecutor(r -> daemon(r, "agent-status"));
    /** Alerts go out on their own thread: a slow channel never delays the status, the lease or activation. */
    private final ExecutorService alertThread = Executors.newSingleThreadExecutor(r -> daemon(r, "agent-alerts"));
    private Future<?> statusRun;
    private Future<?> pushing;
    private volatile boolean stopping;

    /**
     * Where the keys of a period come from when this host takes the role. {@code heldBefore} is the last epoch
     * under which this host held the role before ({@link LocalRole#lastHeldEpoch()}): its node's keys are that
     * new, and a bundle made under a later epoch can carry keys the holder bid with since (a backup that took over
     * during an open election re-bids, and the chain elects the last bid).
     */
    public interface Keys {
        /**
         * The key ids this host would sign with for each period: the node's, unless the node has none for it or
         * the newest verified bundle for it was made under an epoch after {@code heldBefore} and holds ids the
         * node lacks; then the bundle's. Empty when this host has no keys for the period. Asks the node for its
         * keys once (with the command adapter, every question is a program run).
         */
        Map<Long, List<String>> signingIds(List<Long> periods, long heldBefore) throws IOException, BadInputException, NodeException;

        /** Installs into the node the bundle {@link #signingIds} chose, if it chose one. */
        void ensureInstalled(long period, long heldBefore) throws IOException, BadInputException, NodeException;
    }

    private final Alerting.Source alerts;
    private long nextWatchdogCheckNanos;
    /**
     * Set while a holder gives the role up on purpose (close(), a step-down) and deactivates its node: it renews its
     * lease until {@link #releaseRenewUntilNanos} and the watchdog is fed under the holder's own fence deadline.
     */
    private volatile boolean releasingAsHolder;
    /**
     * Until when a releasing holder goes on renewing its lease while its node deactivates: the adapter's
     * deactivation budget plus the fence command's timeout, at least one lease TTL.
     */
    private volatile long releaseRenewUntilNanos;
    private volatile List<Alert> conditions = List.of();
    private final long startedAtMs = System.currentTimeMillis();

    public Agent(Config config, Etcd etcd, NodeAdapter node, HangWatchdog watchdog, Keys keys) throws BadInputException {
        this(config, etcd, node, watchdog, keys, null);
    }

    /** With a dispatcher, the agent raises WATCHDOG_STALE and ELECTION_DUTY_OFF itself. */
    public Agent(Config config, Etcd etcd, NodeAdapter node, HangWatchdog watchdog, Keys keys, Alerting.Source alerts)
            throws BadInputException {
        this.alerts = alerts;
        this.config = config;
        this.cs = config.coordination();
        this.etcd = etcd;
        this.node = node;
        this.watchdog = watchdog;
        this.keys = keys;
        this.self = config.host();
        this.isMain = config.self().role() == HostEntry.Role.MAIN;
        this.tag = "validator " + config.validator() + " on " + self + ": ";
        this.keepAlives = new HedgedCall("agent-keepalive", KEEPALIVE_IN_FLIGHT,
                Math.max(KEEPALIVE_RETRY_MS, cs.requestTimeout().toMillis() / KEEPALIVE_IN_FLIGHT), KEEPALIVE_RETRY_MS);
        long interval = node.checkInterval().toNanos();
        this.nodeCheckNanos = interval > cs.pollInterval().toNanos() ? interval : 0;
        this.nextNodeCheckNanos = System.nanoTime(); // due at once (nanoTime's origin is arbitrary, may be negative)
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    String key(String name) {
        return cs.prefix(config.validator()) + name;
    }

    public boolean isHolder() {
        return holder;
    }

    public long epoch() {
        return epoch;
    }

    private void error(String message) {
        lastError = message;
        lastErrorAtMs = System.currentTimeMillis();
    }

    // ---------------------------------------------------------------- run

    /** Runs until {@link #close()}: timers on their threads, the main loop on the caller's. */
    public void run() throws IOException {
        AtomicFiles.createPrivateDirectories(config.stateDir());
        try {
            lastHeldEpoch = LocalRole.read(config.stateDir()).lastHeldEpoch();
        } catch (BadInputException e) {
            LOG.warn("{}{}; the node's keys are kept at the next takeover (how new they are is not known)", tag, e.getMessage());
            lastHeldEpoch = LocalRole.UNKNOWN;
        }
        writeRole();
        long fenceTick = 50;
        timers.scheduleWithFixedDelay(this::fenceTick, fenceTick, fenceTick, TimeUnit.MILLISECONDS);
        timers.scheduleWithFixedDelay(this::keepAliveTick, 0, cs.keepAliveInterval().toMillis(), TimeUnit.MILLISECONDS);
        LOG.info("{}agent started ({}; lease {} ms, fences after {} ms, takeover after {} rounds without a vote, watchdog {})",
                tag, isMain ? "main" : "backup", cs.leaseTtl().toMillis(), cs.fenceAfter().toMillis(), cs.takeoverRounds(),
                cs.watchdog().driver());
        while (!stopping) {
            long t0 = System.nanoTime();
            try {
                if (holder) {
                    holderTick();
                } else {
                    standbyTick();
                }
                if (statusRun == null || statusRun.isDone()) {
                    // off the main loop: it asks the node and the chain, which may be slow to answer
                    statusRun = statusThread.submit(this::publishStatus);
                }
            } catch (RuntimeException e) {
                if (stopping && e instanceof java.util.concurrent.RejectedExecutionException) {
                    break; // close() shut the executors down during this tick (it was logged as an error)
                }
                error(e.toString());
                LOG.error("{}unexpected error in the agent loop: {}", tag, e.toString(), e);
            }
            long sleep = cs.pollInterval().toMillis() - (System.nanoTime() - t0) / 1_000_000;
            if (sleep > 0) {
                try {
                    Thread.sleep(sleep);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
    }

    /** For tests: the process dies here, with no release and no deactivation (as SIGKILL or power loss). */
    public void crashForTest() {
        stopping = true;
        holder = false;
        timers.shutdownNow();
        keepAlives.close();
        background.shutdownNow();
        statusThread.shutdownNow();
        alertThread.shutdownNow();
    }

    /**
     * Stops. A holder deactivates its node first but keeps the role: restarted within the lease TTL (an upgrade)
     * the agent adopts its own lease and resumes without a failover; if it does not return, the lease expires
     * and a standby takes over after its evidence wait.
     */
    @Override
    public void close() {
        stopping = true;
        if (holder) {
            // the lease is renewed on while the node deactivates, within the release budget (beginRelease): a slow
            // deactivation (the command adapter's two program runs on a loaded host took over 2 s) is neither cut
            // short by the fence deadline nor ended by a watchdog reset; a stop still deactivating after that is
            // reset by the watchdog before the lease can expire, by the holder's own rule
            beginRelease();
            try {
                fence("the agent is stopping (the role stays until the lease expires, for a restart to resume it)");
            } finally {
                releasingAsHolder = false;
            }
            cooldownUntilNanos = 0;
        }
        timers.shutdownNow();
        keepAlives.close();
        background.shutdownNow();
        statusThread.shutdownNow();
        alertThread.shutdownNow();
        try {
            if (statusLease != 0) {
                etcd.revoke(statusLease, cs.requestTimeout());
            }
        } catch (EtcdException e) {
            // the status key expires with its lease
        }
    }

    // ---------------------------------------------------------------- fencing (own thread)

    private void fenceTick() {
        if (!holder) {
            if (releasingAsHolder && System.nanoTime() - lastAckSendNanos < cs.fenceAfter().toNanos()) {
                // a clean stop or a step-down deactivates the node with its lease still alive and renewed (within
                // the release budget): fed on under the holder's own deadline, so a slow deactivation does not reset
                // the host, while one still running fenceAfter after the last renewal does, before the lease can
                // expire
                feedWatchdog();
            }
            return;
        }
        long age = System.nanoTime() - lastAckSendNanos;
        if (age >= cs.fenceAfter().toNanos()) {
            fence("no keep-alive acknowledged for " + age / 1_000_000 + " ms (fences at " + cs.fenceAfter().toMillis() + " ms)");
            return;
        }
        feedWatchdog();
    }

    private void feedWatchdog() {
        try {
            watchdog.feed();
        } catch (IOException e) {
            error("watchdog feed: " + e.getMessage());
        }
    }

    /**
     * One renewal per interval; while none of this tick's is acknowledged, more are sent as {@link HedgedCall}
     * describes (every request_timeout / {@link #KEEPALIVE_IN_FLIGHT}, so that the attempts waiting at once cover a
     * whole request timeout and one always starts soon after a new etcd leader is known), for as long as
     * the fence window is open. One renewal at a time, an etcd election cost the lab's main its role: it renewed
     * 1.2 s after its last acknowledged keep-alive (or fenced at 1.5 s) when the member it lost was etcd's leader.
     */
    private void keepAliveTick() {
        long tickStart = System.nanoTime();
        keepAlives.run(this::renewLease, () -> !renewing() || lastAckSendNanos >= tickStart
                || System.nanoTime() - lastAckSendNanos >= cs.fenceAfter().toNanos());
    }

    /** A holder renews its lease; so does a releasing one while its node deactivates (close(), stepDown()). */
    private boolean renewing() {
        return holder && !stopping || releasingAsHolder && System.nanoTime() < releaseRenewUntilNanos;
    }

    /**
     * A holder about to deactivate its node on purpose keeps its lease renewed and its watchdog fed for as long as
     * the deactivation may take by the adapter's own timeouts (and the fence command's after it), at least one lease
     * TTL: while it renews no standby can take the role — the node may still sign until it stopped — and a
     * deactivation slower than the watchdog's timeout (a command adapter's programs, {@code systemctl stop} of a
     * real node) no longer resets the host. One still running a fence window after the last renewal is stuck past
     * its own timeouts and is reset before the lease can expire, by the holder's rule.
     */
    private void beginRelease() {
        releaseRenewUntilNanos = System.nanoTime() + releaseBudget().toNanos();
        releasingAsHolder = true;
    }

    private Duration releaseBudget() {
        Duration fenceCommand = cs.fenceCommand().isEmpty() ? Duration.ZERO : fenceCommandTimeout();
        Duration budget = node.deactivationBudget().plus(fenceCommand);
        return budget.compareTo(cs.leaseTtl()) > 0 ? budget : cs.leaseTtl();
    }

    /** One keep-alive; an acknowledged one moves the fence deadline to its send time. */
    private void renewLease() {
        try {
            long l = lease;
            long sent = System.nanoTime();
            long left = cs.fenceAfter().toNanos() - (sent - lastAckSendNanos);
            if (!renewing() || left <= 0) {
                return;
            }
            long ttl = etcd.keepAlive(l, Duration.ofNanos(Math.min(left, cs.requestTimeout().toNanos())));
            if (ttl <= 0) {
                if (lease == l) {
                    fence("the lease " + Long.toHexString(l) + " no longer exists in etcd");
                }
                return;
            }
            long gap;
            synchronized (roleLock) {
                if (!renewing() || lease != l || sent <= lastAckSendNanos) {
                    return;
                }
                gap = sent - lastAckSendNanos;
                lastAckSendNanos = sent;
            }
            if (gap > cs.fenceAfter().toNanos() / 2) {
                // an etcd election or a slow member came close to fencing this holder: worth an operator's look
                LOG.warn("{}lease renewed {} ms after the last acknowledged keep-alive (fences at {} ms)", tag,
                        gap / 1_000_000, cs.fenceAfter().toMillis());
            }
        } catch (EtcdException e) {
            error("keep-alive: " + e.getMessage());
        }
    }

    /** Stops signing now, from any thread, without waiting for the main loop. */
    void fence(String reason) {
        long gen;
        synchronized (roleLock) {
            if (!holder) {
                return;
            }
            holder = false;
            gen = ++generation;
        }
        LOG.error("{}SELF-FENCING (epoch {}): {}; deactivating the node", tag, epoch, reason);
        boolean stopped = stopSigning();
        finishStandby(stopped, gen, reason);
    }

    /** Deactivates the node and checks it stopped; falls back to the fence command. True when it stopped. */
    private boolean stopSigning() {
        try {
            node.deactivate();
            if (!node.signing()) {
                return true;
            }
            LOG.error("{}the node still reports signing after deactivation", tag);
        } catch (NodeException e) {
            LOG.error("{}deactivating the node failed: {}", tag, e.getMessage());
        }
        return runFenceCommand();
    }

    private Duration fenceCommandTimeout() {
        return cs.requestTimeout().multipliedBy(3);
    }

    private boolean runFenceCommand() {
        if (cs.fenceCommand().isEmpty()) {
            LOG.error("{}no fence_command configured; the watchdog stays armed and resets the host if one is configured", tag);
            return false;
        }
        return runFenceCommand(cs.fenceCommand(), fenceCommandTimeout(), tag);
    }

    /**
     * Runs the fence command through the shared runner: its output goes to files (a talkative command cannot block
     * on a full pipe), and one that overruns {@code timeout} is killed with its children. True when it exited 0.
     */
    static boolean runFenceCommand(List<String> argv, Duration timeout, String tag) {
        try {
            Command.Result r = Command.run(argv, Map.of(), timeout);
            LOG.warn("{}fence command {} exited {}{}", tag, argv, r.exit(),
                    r.exit() == 0 || r.stderrTail().isEmpty() ? "" : ": " + r.stderrTail());
            return r.exit() == 0;
        } catch (Command.Failure e) {
            LOG.error("{}fence command failed: {}", tag, e.getMessage());
            return false;
        }
    }

    private void finishStandby(boolean stopped, long gen, String reason) {
        if (stopped) {
            try {
                watchdog.disarm();
            } catch (IOException e) {
                LOG.error("{}disarming the watchdog failed: {}", tag, e.getMessage());
            }
        } else {
            LOG.error("{}the node could not be confirmed stopped; the watchdog stays armed", tag);
        }
        synchronized (roleLock) {
            if (generation == gen) {
                cooldownUntilNanos = System.nanoTime() + cs.cooldown().toNanos();
            }
        }
        try {
            writeRole();
        } catch (IOException e) {
            LOG.error("{}cannot record the role: {}", tag, e.getMessage());
        }
        LOG.warn("{}now standby (epoch {} given up: {})", tag, epoch, reason);
    }

    // ---------------------------------------------------------------- holder

    private void holderTick() {
        Duration rt = cs.requestTimeout();
        Optional<Etcd.KeyValue> leader;
        try {
            leader = etcd.get(key("leader"), rt);
        } catch (EtcdException e) {
            error("reading the leader key: " + e.getMessage());
            return;
        }
        if (leader.isEmpty()) {
            fence("the leader key is gone (lease expired or deleted)");
            return;
        }
        if (leader.get().createRevision() != epoch) {
            fence("the leader key now has epoch " + leader.get().createRevision() + " (" + leader.get().value() + ")");
            return;
        }
        if (handleRequests()) {
            return;
        }
        if (nodeCheckDue()) {
            checkHealth(reactivateIfRestarted());
        }
        completeReport();
        maybePush();
    }

    /** Demote and switchover requests for this epoch; true when this host stepped down. */
    private boolean handleRequests() {
        Duration rt = cs.requestTimeout();
        try {
            Optional<Etcd.KeyValue> demote = etcd.get(key("demote"), rt);
            if (demote.isPresent()) {
                JsonNode d = Json.parseObject(demote.get().value().getBytes(), key("demote"));
                if (d.path("epoch").asLong() == epoch) {
                    etcd.delete(key("demote"), rt);
                    stepDown("demote requested: " + d.path("reason").asText("no reason given"));
                    return true;
                }
            }
            Optional<Etcd.KeyValue> sw = etcd.get(key("switchover"), rt);
            if (sw.isPresent()) {
                JsonNode s = Json.parseObject(sw.get().value().getBytes(), key("switchover"));
                String to = s.path("to").asText();
                if (s.path("epoch").asLong() == epoch && !to.equals(self)) {
                    String why = Switchover.targetNotReady(etcd, this::key, to, rt);
                    if (why != null) {
                        LOG.warn("{}switchover to {} refused: {}", tag, to, why);
                        etcd.delete(key("switchover"), rt);
                        return false;
                    }
                    waitForOwnSignature();
                    LOG.info("{}switchover to {}: handing over at a round boundary", tag, to);
                    stepDown("switchover to " + to);
                    return true;
                }
            }
        } catch (EtcdException | BadInputException e) {
            error("reading requests: " + e.getMessage());
        }
        return false;
    }

    /** A handover waits (at most a second) until this node has signed the round in progress. */
    private void waitForOwnSignature() {
        long end = System.nanoTime() + Duration.ofSeconds(1).toNanos();
        try {
            NodeStatus st = node.status();
            while (System.nanoTime() < end && node.signing()) {
                Evidence ev = node.evidence(cs.takeoverRounds());
                if (ev.lastVoteRound() >= st.round()) {
                    return;
                }
                Thread.sleep(20);
            }
        } catch (NodeException e) {
            error("before handover: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Whether the periodic node checks (the holder's health, a standby keeping its node quiet) run in this tick:
     * every poll, or every {@link NodeAdapter#checkInterval()} for a node whose every question costs a program run.
     */
    private boolean nodeCheckDue() {
        if (nodeCheckNanos == 0) {
            return true;
        }
        long now = System.nanoTime();
        if (now - nextNodeCheckNanos < 0) {
            return false;
        }
        nextNodeCheckNanos = now + nodeCheckNanos;
        return true;
    }

    /** The node's status, asked now, kept for the status publisher. */
    private NodeStatus checkStatus() throws NodeException {
        NodeStatus st = node.status();
        checkedStatus = new Answer<>(st, System.nanoTime(), generation);
        return st;
    }

    /** Whether the node signs, asked now, kept for the status publisher. */
    private boolean checkSigning() throws NodeException {
        boolean signing = node.signing();
        checkedSigning = new Answer<>(signing, System.nanoTime(), generation);
        return signing;
    }

    /** The agent acted on the node: what the checks saw before no longer holds. */
    private void forgetChecks() {
        checkedStatus = null;
        checkedSigning = null;
    }

    /** A periodic check's answer, when it is recent and given under the current role; otherwise null. */
    private <T> T recent(Answer<T> a) {
        long window = nodeCheckNanos + cs.pollInterval().toNanos();
        return a != null && a.generation() == generation && System.nanoTime() - a.atNanos() < window ? a.value() : null;
    }

    /**
     * The node restarted under the holder (the guard starts every node as standby): switch it on again. Returns
     * the status it read when it did nothing, for the health check that follows; null when it acted or failed.
     */
    private NodeStatus reactivateIfRestarted() {
        long gen = generation;
        if (!holder) {
            return null;
        }
        try {
            NodeStatus st = checkStatus();
            if (st.validationEnabled()) {
                return st;
            }
            synchronized (roleLock) {
                if (!holder || generation != gen) {
                    return null;
                }
            }
            LOG.warn("{}the node is not validating although this host holds the role (restarted?); activating it", tag);
            forgetChecks();
            node.activate(cs.electionDuty());
            synchronized (roleLock) {
                if (!holder || generation != gen) {
                    stopSigning();
                }
            }
        } catch (NodeException e) {
            error("node: " + e.getMessage());
        }
        return null;
    }

    /** The holder's health; {@code known} is a status read in this tick, or null to ask. */
    private void checkHealth(NodeStatus known) {
        if (System.nanoTime() - activatedAtNanos < cs.activationGrace().toNanos()) {
            return;
        }
        String problem = null;
        try {
            NodeStatus st = known != null ? known : checkStatus();
            if (!st.synced()) {
                problem = "node not synced (" + st.lagRounds() + " rounds behind)";
            } else if (!checkSigning() && node.evidence(cs.takeoverRounds()).inCurrentSet()) {
                problem = "node not signing although the validator is in the current set";
            }
        } catch (NodeException e) {
            problem = "node unreachable: " + e.getMessage();
        }
        if (problem == null) {
            unhealthy = 0;
            return;
        }
        unhealthy++;
        LOG.warn("{}holder unhealthy ({} of {} checks): {}", tag, unhealthy, cs.unhealthyChecks(), problem);
        if (unhealthy >= cs.unhealthyChecks()) {
            stepDown(problem);
        }
    }

    /** Gives the role up on purpose: deactivate, confirm, then release the key and the lease. */
    void stepDown(String reason) {
        long gen;
        long e;
        long l;
        synchronized (roleLock) {
            if (!holder) {
                return;
            }
            beginRelease();
            holder = false;
            gen = ++generation;
            e = epoch;
            l = lease;
        }
        LOG.warn("{}stepping down (epoch {}): {}", tag, e, reason);
        boolean stopped;
        try {
            stopped = stopSigning();
        } finally {
            releasingAsHolder = false;
        }
        if (stopped) {
            try {
                etcd.deleteIfCreated(key("leader"), e, cs.requestTimeout());
                etcd.revoke(l, cs.requestTimeout());
            } catch (EtcdException ex) {
                LOG.warn("{}releasing the role failed ({}); it expires with the lease", tag, ex.getMessage());
            }
        }
        finishStandby(stopped, gen, reason);
        unhealthy = 0;
    }

    // ---------------------------------------------------------------- standby

    private void standbyTick() {
        if (nodeCheckDue()) {
            keepNodeQuiet();
        }
        Duration rt = cs.requestTimeout();
        Optional<Etcd.KeyValue> leader;
        try {
            leader = etcd.get(key("leader"), rt);
        } catch (EtcdException e) {
            error("reading the leader key: " + e.getMessage());
            return;
        }
        if (leader.isPresent()) {
            absentSinceNanos = -1;
            Etcd.KeyValue kv = leader.get();
            String h = holderOf(kv);
            if (h.equals(self)) {
                adopt(kv);
                return;
            }
            if (!h.equals(lastHolder) || kv.createRevision() != lastEpoch) {
                LOG.info("{}standby; the role is held by {} (epoch {})", tag, h, kv.createRevision());
            }
            lastHolder = h;
            lastEpoch = kv.createRevision();
            return;
        }
        long now = System.nanoTime();
        if (absentSinceNanos < 0) {
            absentSinceNanos = now;
            absentSinceMs = System.currentTimeMillis();
            LOG.warn("{}the leader key is absent (last held by {}, epoch {})", tag, lastHolder, lastEpoch);
        }
        boolean invited = invitedBySwitchover();
        if (!invited) {
            if (now < cooldownUntilNanos) {
                return;
            }
            if (!isMain && now - absentSinceNanos < cs.standbyDelay().toNanos()) {
                return;
            }
        }
        String notReady = readiness(invited);
        if (notReady == null && !invited && !isMain && mainHasPriority(lastEvidence == null || lastEvidence.inCurrentSet())) {
            return;
        }
        if (notReady != null) {
            if (now - lastEvidenceLogNanos > Duration.ofSeconds(5).toNanos()) {
                LOG.info("{}not taking the role yet: {}", tag, notReady);
                lastEvidenceLogNanos = now;
            }
            return;
        }
        acquire(invited);
    }

    /**
     * The main is preferred. While the validator is outside the current set (a new deployment) there is nothing
     * to sign and only the main holds the wallet to bid, so a backup leaves the role to any main whose agent
     * publishes a status as a standby not cooling down — however old the status (its key lives only while the
     * main's agent renews it) — and to the main as well when it cannot read that status: waiting loses nothing,
     * while a backup holding the role cannot bid and keeps it (CI, 2026-12-01: on a fresh lab under load the main's
     * status was over 3 s old or unreadable when the backup's node synced, and the validator never entered the
     * set). Inside the set it leaves the role only to a main that is ready to sign and live: a status at most 3 s
     * old and not cooling down after giving the role up; a main that is down, cut off or frozen stops reporting,
     * so this costs a failover nothing beyond the lease.
     */
    private boolean mainHasPriority(boolean validatorInSet) {
        try {
            JsonNode st = statusOf(config.mainHost());
            if (st == null) {
                return false;
            }
            boolean fresh = System.currentTimeMillis() - st.path("updatedAtMs").asLong() < 3000 || !validatorInSet;
            boolean live = fresh && !st.path("cooldown").asBoolean(false) && "standby".equals(st.path("role").asText());
            boolean ready = st.path("synced").asBoolean(false) && !st.has("nodeError")
                    && st.path("keys").path("current").asBoolean(false);
            if (live && (!validatorInSet || ready)) {
                long n = System.nanoTime();
                if (n - lastEvidenceLogNanos > Duration.ofSeconds(5).toNanos()) {
                    LOG.info("{}the role is absent; leaving it to the main, which is {}", tag,
                            validatorInSet ? "ready to sign" : "alive (the validator is not in the current set yet)");
                    lastEvidenceLogNanos = n;
                }
                return true;
            }
            return false;
        } catch (EtcdException | BadInputException e) {
            if (!validatorInSet) {
                error("reading the main's status: " + e.getMessage() + "; the role is left to the main");
            }
            return !validatorInSet;
        }
    }

    /** A host's status as its agent last published it; null when there is none (its lease expired). */
    private JsonNode statusOf(String host) throws EtcdException, BadInputException {
        Optional<Etcd.KeyValue> kv = etcd.get(key("status/" + host), cs.requestTimeout());
        return kv.isEmpty() ? null : Json.parseObject(kv.get().value().getBytes(), "status of " + host);
    }

    /** The key ids a holder signs with, per period (its status's {@code keys.ids}). */
    private record HolderKeys(String host, JsonNode ids) {
    }

    /**
     * The key ids the holder signs with, from its status (the host that held the role last, while its status is
     * fresh: after a switchover's release too); null when not known.
     */
    private HolderKeys holderKeyIds() {
        String h = lastHolder;
        if (h == null || h.equals(self)) {
            return null;
        }
        try {
            JsonNode st = statusOf(h);
            if (st == null) {
                return null;
            }
            JsonNode ids = st.path("keys").path("ids");
            boolean fresh = System.currentTimeMillis() - st.path("updatedAtMs").asLong() <= Switchover.STATUS_FRESH.toMillis();
            return fresh && ids.isObject() ? new HolderKeys(h, ids) : null;
        } catch (EtcdException | BadInputException e) {
            return null;
        }
    }

    /** Null when this host's keys for the period include the holder's (or the holder's are not known); else why not. */
    private static String keysBehind(HolderKeys holder, long period, List<String> mine) {
        JsonNode ids = holder == null ? null : holder.ids().path(Long.toString(period));
        if (ids == null || !ids.isArray() || ids.isEmpty()) {
            return null;
        }
        List<String> theirs = new ArrayList<>();
        ids.forEach(n -> theirs.add(n.asText()));
        if (new HashSet<>(mine).containsAll(theirs)) {
            return null;
        }
        return "the keys for period " + period + " are not those " + holder.host() + " signs with (its " + theirs
                + ", this host's " + mine + "); waiting for its newer bundle";
    }

    private String holderOf(Etcd.KeyValue kv) {
        try {
            return Json.parseObject(kv.value().getBytes(), key("leader")).path("holder").asText("?");
        } catch (BadInputException e) {
            return "?";
        }
    }

    /** A standby's node must not sign: if it does, switch it off at once. */
    private void keepNodeQuiet() {
        try {
            NodeStatus st = checkStatus();
            if (st.validationEnabled()) {
                LOG.error("{}the node was validating while this host does not hold the role; switching it off", tag);
                forgetChecks();
                node.deactivate();
            }
        } catch (NodeException e) {
            error("node: " + e.getMessage());
        }
    }

    private boolean invitedBySwitchover() {
        try {
            Optional<Etcd.KeyValue> sw = etcd.get(key("switchover"), cs.requestTimeout());
            if (sw.isEmpty()) {
                return false;
            }
            JsonNode s = Json.parseObject(sw.get().value().getBytes(), key("switchover"));
            return s.path("to").asText().equals(self) && s.path("epoch").asLong() == lastEpoch && lastEpoch != 0;
        } catch (EtcdException | BadInputException e) {
            return false;
        }
    }

    /**
     * Null when this host may take the role now; otherwise why not. Keys for the current period are needed only
     * while the validator is in the current set: outside it there is nothing to sign, and the holder's duty is
     * the election bid that brings it (back) in.
     */
    private String readiness(boolean invited) {
        try {
            NodeStatus st = node.status();
            if (!st.synced()) {
                return "own node not synced (" + st.lagRounds() + " rounds behind)";
            }
            Evidence ev = node.evidence(cs.takeoverRounds());
            Map<Long, List<String>> mine = keys.signingIds(List.of(st.currentPeriod(), st.nextPeriod()), lastHeldEpoch);
            if (ev.inCurrentSet() && mine.get(st.currentPeriod()).isEmpty()) {
                return "no verified keys for the current period " + st.currentPeriod();
            }
            if (invited) {
                // the holder is alive and pushes what it signs (and bid) with: take over with nothing older
                HolderKeys h = holderKeyIds();
                for (long period : List.of(st.currentPeriod(), st.nextPeriod())) {
                    String behind = keysBehind(h, period, mine.get(period));
                    if (behind != null) {
                        return behind;
                    }
                }
            }
            if (!invited && ev.signedRecently()) {
                return "the validator key voted at round " + ev.lastVoteRound() + " (chain at " + ev.chainRound()
                        + "); waiting for " + cs.takeoverRounds() + " rounds without a vote";
            }
            lastEvidence = ev;
            return null;
        } catch (NodeException | IOException | BadInputException e) {
            return "cannot tell (" + e.getMessage() + "); not taking the role in doubt";
        }
    }

    private void acquire(boolean invited) {
        Duration rt = cs.requestTimeout();
        long ttlSeconds = cs.leaseTtl().toSeconds();
        long sent = System.nanoTime();
        long l;
        Etcd.Created c;
        try {
            l = etcd.grant(ttlSeconds, rt);
            ObjectNode v = Json.object().put("holder", self).put("since", Instant.now().toString()).put("lease", Long.toString(l));
            c = etcd.createIfAbsent(key("leader"), Json.MAPPER.writeValueAsString(v), l, rt);
        } catch (EtcdException | com.fasterxml.jackson.core.JsonProcessingException e) {
            error("acquiring: " + e.getMessage());
            return;
        }
        if (!c.created()) {
            try {
                etcd.revoke(l, rt);
            } catch (EtcdException e) {
                // expires by itself
            }
            LOG.info("{}another host took the role first ({})", tag, holderOf(c.current()));
            return;
        }
        long gen;
        synchronized (roleLock) {
            holder = true;
            lease = l;
            epoch = c.current().createRevision();
            lastAckSendNanos = sent;
            gen = ++generation;
        }
        long acquiredMs = System.currentTimeMillis();
        LOG.warn("{}TOOK THE SIGNING ROLE: epoch {} ({}; previous holder {} epoch {})", tag, epoch,
                invited ? "switchover" : "failover", lastHolder, lastEpoch);
        long heldBefore = lastHeldEpoch;
        try {
            watchdog.arm();
            writeRole();
        } catch (IOException e) {
            fence("cannot arm the watchdog or record the role: " + e.getMessage());
            return;
        }
        activate(gen, acquiredMs, invited, heldBefore);
    }

    /** Installs keys and activates the node, then checks that no fence happened meanwhile (undoing if so). */
    private void activate(long gen, long acquiredMs, boolean invited, long heldBefore) {
        try {
            NodeStatus st = node.status();
            keys.ensureInstalled(st.currentPeriod(), heldBefore);
            keys.ensureInstalled(st.nextPeriod(), heldBefore);
            if (!cs.electionDuty() && !isMain) {
                LOG.warn("{}election duty is off: unless the main returns, the validator leaves the set after period {}", tag,
                        st.currentPeriod());
                alert(List.of(Alert.of(AlertName.ELECTION_DUTY_OFF,
                        config.validator(), self + " epoch " + epoch, self + " holds the signing role with election duty off;"
                        + " the validator leaves the set after period " + st.currentPeriod())));
            }
            synchronized (roleLock) {
                if (!holder || generation != gen) {
                    return;
                }
            }
            node.activate(cs.electionDuty());
        } catch (NodeException | IOException | BadInputException e) {
            LOG.error("{}activation failed: {}; stepping down", tag, e.getMessage());
            stepDown("activation failed: " + e.getMessage());
            return;
        }
        synchronized (roleLock) {
            if (!holder || generation != gen) {
                LOG.error("{}fenced while activating; deactivating again", tag);
                stopSigning();
                return;
            }
        }
        activatedAtNanos = System.nanoTime();
        unhealthy = 0;
        report = Json.object();
        report.put("validator", config.validator()).put("host", self).put("epoch", epoch)
                .put("kind", invited ? "switchover" : lastHolder == null ? "bootstrap" : "failover")
                .put("previousHolder", lastHolder).put("previousEpoch", lastEpoch)
                .put("absentObservedAtMs", absentSinceNanos < 0 ? acquiredMs : absentSinceMs)
                .put("acquiredAtMs", acquiredMs).put("activatedAtMs", System.currentTimeMillis());
        if (lastEvidence != null) {
            report.put("previousLastVoteRound", lastEvidence.lastVoteRound()).put("acquiredAtRound", lastEvidence.chainRound())
                    .put("roundMs", lastEvidence.roundMs());
        }
        LOG.warn("{}node activated (epoch {}); it signs from the next round", tag, epoch);
    }

    /** Once the chain shows this host's first signature, the takeover report is complete. */
    private void completeReport() {
        if (report == null) {
            return;
        }
        try {
            Evidence ev = node.evidence(cs.takeoverRounds());
            long before = report.path("previousLastVoteRound").asLong(-1);
            if (ev.lastSignedRound() > before && System.currentTimeMillis() > report.path("activatedAtMs").asLong()) {
                report.put("firstSignedRound", ev.lastSignedRound()).put("firstSignedObservedAtMs", System.currentTimeMillis());
                if (before >= 0) {
                    report.put("roundsLost", ev.lastSignedRound() - before - 1);
                }
                String json = Json.MAPPER.writeValueAsString(report);
                etcd.put(key("reports/" + epoch), json, 0, cs.requestTimeout());
                Path f = config.stateDir().resolve("takeovers.jsonl");
                Files.writeString(f, json + "\n", java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
                AtomicFiles.ownLikeParent(f);
                LOG.warn("{}takeover report: {}", tag, json);
                report = null;
            }
        } catch (NodeException | EtcdException | IOException e) {
            error("takeover report: " + e.getMessage());
        }
    }

    /**
     * After a restart of the agent: the leader key names this host; keep its lease if it still lives. An agent
     * that gave the role up itself (cooling down) lets that lease expire instead.
     */
    private void adopt(Etcd.KeyValue kv) {
        if (System.nanoTime() < cooldownUntilNanos) {
            return;
        }
        long l = kv.lease();
        long sent = System.nanoTime();
        long ttl;
        try {
            ttl = etcd.keepAlive(l, cs.requestTimeout());
        } catch (EtcdException e) {
            error("adopting: " + e.getMessage());
            return;
        }
        if (ttl <= 0) {
            return;
        }
        long gen;
        synchronized (roleLock) {
            holder = true;
            lease = l;
            epoch = kv.createRevision();
            lastAckSendNanos = sent;
            gen = ++generation;
        }
        LOG.warn("{}the leader key names this host (epoch {}) and its lease lives: resuming as holder", tag, epoch);
        long heldBefore = lastHeldEpoch;
        try {
            watchdog.arm();
            writeRole();
        } catch (IOException e) {
            fence("cannot arm the watchdog or record the role: " + e.getMessage());
            return;
        }
        lastEvidence = null;
        activate(gen, System.currentTimeMillis(), true, heldBefore);
        report = null;
    }

    // ---------------------------------------------------------------- status, role file, push

    /** Sends events (ELECTION_DUTY_OFF) with the conditions active now, so an event never resolves a condition. */
    private void alert(List<Alert> events) {
        if (alerts == null) {
            return;
        }
        try {
            alertThread.execute(() -> {
                List<Alert> active = new ArrayList<>(conditions);
                active.addAll(events);
                try {
                    alerts.get().process(active, Instant.now());
                } catch (IOException | BadInputException | RuntimeException e) {
                    error("alerting: " + e.getMessage());
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // stopping
        }
    }

    /** The holder notices a monitor whose watchdog stopped checking (its heartbeat in etcd went stale). */
    private void checkWatchdogHeartbeat() {
        long now = System.nanoTime();
        if (now < nextWatchdogCheckNanos || !config.hasWatchdog() || alerts == null) {
            return;
        }
        nextWatchdogCheckNanos = now + Duration.ofSeconds(10).toNanos();
        if (holder) {
            try {
                alertThread.execute(this::watchdogHeartbeatAlert);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // stopping
            }
        } else if (!conditions.isEmpty()) {
            conditions = List.of();
            alert(List.of());
        }
    }

    private void watchdogHeartbeatAlert() {
        List<Alert> active = new ArrayList<>();
        try {
            WatchdogSettings w = config.watchdog();
            Optional<Etcd.KeyValue> hb = etcd.get(key("watchdog"), cs.requestTimeout());
            // a watchdog that never checked in is judged from this agent's start, so a fresh deployment is not stale
            long since = hb.isEmpty() ? startedAtMs
                    : Json.parseObject(hb.get().value().getBytes(java.nio.charset.StandardCharsets.UTF_8), key("watchdog")).path("atMs").asLong();
            long age = System.currentTimeMillis() - since;
            if (age > w.heartbeatStale().toMillis()) {
                active.add(Alert.of(AlertName.WATCHDOG_STALE, config.validator(), "",
                        hb.isEmpty() ? "the monitor's watchdog has not checked in since this agent started " + age / 1000 + " s ago"
                                : "the monitor's watchdog last checked " + age / 1000 + " s ago (stale after "
                                        + w.heartbeatStale().toSeconds() + " s)").with("noticed by", self));
            }
        } catch (EtcdException | BadInputException e) {
            // etcd unreachable: not the watchdog's fault, and the holder fences on its own
            return;
        }
        conditions = List.copyOf(active);
        alert(List.of());
    }

    private void writeRole() throws IOException {
        if (holder) {
            lastHeldEpoch = epoch;
        }
        new LocalRole(true, holder, holder ? epoch : 0, lastHeldEpoch, Instant.now().toString()).write(config.stateDir());
    }

    private void publishStatus() {
        long now = System.nanoTime();
        if (now < nextStatusNanos) {
            return;
        }
        nextStatusNanos = now + Math.max(Duration.ofSeconds(1).toNanos(), nodeCheckNanos);
        ObjectNode s = Json.object();
        s.put("host", self).put("adapter", node.kind());
        try {
            // what the loop's checks just asked is not asked again (with the command adapter, each is a program run)
            NodeStatus st = recent(checkedStatus);
            if (st == null) {
                st = node.status();
            }
            Boolean signing = recent(checkedSigning);
            if (signing == null) {
                signing = node.signing();
            }
            s.put("synced", st.synced()).put("lagRounds", st.lagRounds()).put("round", st.round())
                    .put("validation", st.validationEnabled()).put("signing", signing)
                    .put("currentPeriod", st.currentPeriod()).put("nextPeriod", st.nextPeriod());
            ObjectNode k = s.putObject("keys");
            HolderKeys holderIds = holder ? null : holderKeyIds();
            ObjectNode ids = k.putObject("ids");
            Map<Long, List<String>> all = keys.signingIds(List.of(st.currentPeriod(), st.nextPeriod()), lastHeldEpoch);
            for (String which : List.of("current", "next")) {
                long period = which.equals("current") ? st.currentPeriod() : st.nextPeriod();
                List<String> mine = all.get(period);
                ids.set(Long.toString(period), Json.MAPPER.valueToTree(mine));
                String behind = keysBehind(holderIds, period, mine);
                k.put(which, !mine.isEmpty() && behind == null);
                if (behind != null) {
                    k.put(which + "Behind", behind);
                }
            }
            s.put("inCurrentSet", node.evidence(cs.takeoverRounds()).inCurrentSet());
            BundleStore store = new BundleStore(config.stateDir(), config.sync().keepBundles());
            List<ObjectNode> q = store.quarantined();
            ObjectNode b = s.putObject("bundles");
            b.put("quarantined", q.size());
            if (!q.isEmpty()) {
                b.set("lastRejection", q.get(q.size() - 1));
            }
        } catch (NodeException | IOException | BadInputException e) {
            s.put("nodeError", e.getMessage());
        }
        // the role and the time as of now, after the node's answers (with the command adapter, program runs that
        // took seconds on a loaded host): a status is as fresh as its publication
        long done = System.nanoTime();
        s.put("role", holder ? "holder" : "standby").put("epoch", holder ? epoch : 0)
                .put("cooldown", !holder && done < cooldownUntilNanos)
                .put("updatedAtMs", System.currentTimeMillis()).put("buildMs", (done - now) / 1_000_000)
                .put("watchdog", watchdog.armed() ? "armed" : cs.watchdog().driver())
                .put("lastError", System.currentTimeMillis() - lastErrorAtMs < 10_000 ? lastError : "");
        checkWatchdogHeartbeat();
        try {
            Duration rt = cs.requestTimeout();
            if (statusLease == 0 || etcd.keepAlive(statusLease, rt) <= 0) {
                statusLease = etcd.grant(Math.max(5, cs.leaseTtl().toSeconds() * 2), rt);
            }
            etcd.put(key("status/" + self), Json.MAPPER.writeValueAsString(s), statusLease, rt);
        } catch (EtcdException | com.fasterxml.jackson.core.JsonProcessingException e) {
            error("publishing status: " + e.getMessage());
        }
    }

    private void maybePush() {
        long now = System.nanoTime();
        if (now < nextPushNanos || (pushing != null && !pushing.isDone())) {
            return;
        }
        nextPushNanos = now + cs.pushInterval().toNanos();
        pushing = background.submit(() -> {
            try (RunLock lock = RunLock.acquire(config.stateDir().resolve("push.lock"), "sync push")) {
                // Read the config again: peers' keys change (rotate-keys) while the agent runs.
                Config current = Config.load(config.source());
                Push.Result r = new Push(current, node, Push.uploader(current)).run(false);
                r.failures().forEach(f -> error("push: " + f.getMessage()));
            } catch (dev.understudy.cli.TempFailException e) {
                // cron's push is running
            } catch (IOException | BadInputException | NodeException | RuntimeException e) {
                error("push: " + e.getMessage());
            }
        });
    }

    // ---------------------------------------------------------------- keys from the store

    /** The production {@link Keys}: the node's own keys, else the newest verified bundle, decrypted only now. */
    public static Keys storeKeys(Config config, NodeAdapter node) {
        BundleStore store = new BundleStore(config.stateDir(), config.sync().keepBundles());
        IdentityStore ids = new IdentityStore(config.identityDir());
        return new Keys() {
            /** The bundle to install for the period, or null to sign with the node's own keys. */
            private BundleStore.Entry newer(long period, List<String> nodeIds, long heldBefore) throws IOException, BadInputException {
                BundleStore.Entry e = store.latestFor(period);
                if (e == null) {
                    return null;
                }
                if (nodeIds.isEmpty()) {
                    return e;
                }
                boolean later = heldBefore != LocalRole.UNKNOWN && e.epoch() > heldBefore;
                return later && !new HashSet<>(nodeIds).containsAll(idsOf(e.periods(), period)) ? e : null;
            }

            @Override
            public Map<Long, List<String>> signingIds(List<Long> periods, long heldBefore)
                    throws IOException, BadInputException, NodeException {
                List<PeriodKeys> held = node.keyFiles().periods();
                Map<Long, List<String>> out = new java.util.TreeMap<>();
                for (long period : periods) {
                    List<String> nodeIds = idsOf(held, period);
                    BundleStore.Entry e = newer(period, nodeIds, heldBefore);
                    out.put(period, e == null ? nodeIds : idsOf(e.periods(), period));
                }
                return out;
            }

            @Override
            public void ensureInstalled(long period, long heldBefore) throws IOException, BadInputException, NodeException {
                List<String> nodeIds = idsOf(node.keyFiles().periods(), period);
                BundleStore.Entry e = newer(period, nodeIds, heldBefore);
                if (e == null) {
                    return;
                }
                if (!nodeIds.isEmpty()) {
                    LogManager.getLogger(Agent.class).warn("validator {} on {}: the node's keys {} for period {} predate bundle {}"
                            + " (epoch {}, after this host last held the role at epoch {}); installing the bundle's",
                            config.validator(), config.host(), nodeIds, period, e.name(), e.epoch(), heldBefore);
                }
                BundleStore.Stored b = store.read(e);
                Bundle.Opened o = Bundle.reopen(b.signature(), b.ciphertext(), b.entry().sha256(), ids.decryptionIdentities(),
                        config.sync().maxBundleBytes(), e.name());
                Path dir = config.stateDir().resolve("install-" + e.seq());
                try {
                    AtomicFiles.createPrivateDirectories(dir);
                    for (KeyFile f : o.files().values()) {
                        Path p = dir.resolve(f.path());
                        AtomicFiles.createPrivateDirectories(p.getParent());
                        AtomicFiles.write(p, f.content(), AtomicFiles.PRIVATE);
                    }
                    node.install(dir);
                    LogManager.getLogger(Agent.class).warn("validator {} on {}: installed keys of {} (periods {}) into the node",
                            config.validator(), config.host(), e.name(), e.periods().stream().map(PeriodKeys::period).toList());
                } finally {
                    FileTrees.delete(dir);
                }
            }
        };
    }

    private static List<String> idsOf(List<PeriodKeys> periods, long period) {
        return periods.stream().filter(p -> p.period() == period).flatMap(p -> p.keyIds().stream()).toList();
    }
}
