package dev.understudy.coordination;

import dev.understudy.alert.Alert;
import dev.understudy.alert.AlertName;
import dev.understudy.alert.Alerting;
import dev.understudy.bundle.Keys;
import dev.understudy.bundle.StoreKeys;
import dev.understudy.cli.BadInputException;
import dev.understudy.common.AtomicFiles;
import dev.understudy.config.Config;
import dev.understudy.config.CoordinationSettings;
import dev.understudy.node.Activation;
import dev.understudy.node.NodeAdapter;
import dev.understudy.node.NodeAdapters;
import dev.understudy.node.NodeException;
import dev.understudy.node.NodeStatus;
import java.io.IOException;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The agent on a validator host (main or backup): it holds the signing role — the etcd key
 * {@code /understudy/VALIDATOR/leader} on a lease — or stands by to take it.
 *
 * <p>Each tick reads, decides, acts: one consistent {@link Snapshot} of the validator's keys in etcd, the pure
 * {@link Decide#decide} over it, this host's {@link Role}, the node's answers and the clock, and then the actions, each
 * carried out by a small actor: the {@link LeaseKeeper} (renewals, the fence window, the hang watchdog's feed, on
 * threads of its own), the {@link NodeSwitch} (activation with keys, a confirmed stop), the {@link StatusPublisher},
 * the {@link TakeoverReport}, and the push. docs/coordination.md states the protocol.
 */
public final class Agent implements AutoCloseable {
    private static final Logger LOG = LogManager.getLogger(Agent.class);

    private final Config config;
    private final CoordinationSettings cs;
    private final Etcd etcd;
    private final NodeAdapter node;
    private final HangWatchdog watchdog;
    private final String self;
    private final String prefix;
    private final String tag;
    private final Decide.Policy policy;
    private final LeaseKeeper keeper;
    private final NodeSwitch nodeSwitch;
    private final NodeObserver observer;
    private final StatusPublisher publisher;
    private final TakeoverReport report;
    private final AgentAlerts alerts;
    private final ReleaseProof proof;
    private final Resignation resignation;
    private final Acquisition acquisition;

    private final KeyPusher pusher;
    private final PromiseDesk promises;
    private final FailsafeLink failsafe;
    private final ExecutorService statusThread = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "agent-status");
        t.setDaemon(true);
        return t;
    });
    private Future<?> statusRun;
    private volatile boolean stopping;
    /**
     * Held while a tick acts (taking the role, activating, stepping down) and by {@link #close()}: a stop never
     * interleaves with an activation in progress, which would switch the node on again after the stop switched it off.
     * The lease keeper's fence never takes it: a fence must not wait.
     */
    private final ReentrantLock acting = new ReentrantLock();
    /** Loop state; read by the status thread. */
    private volatile AgentMemory memory = AgentMemory.start(System.nanoTime());
    /** The last snapshot of etcd and when it was read (for the failsafe: a quorum answered then). */
    private volatile FailsafeStanding.Look look = new FailsafeStanding.Look(Snapshot.empty(), System.nanoTime() - Long.MAX_VALUE / 2);
    /** The last epoch under which this host held the role (kept in role.json across restarts). */
    private volatile long lastHeldEpoch;
    /** How the node was last switched on as holder: a node that restarts under the holder gets the same. */
    private volatile Activation activation = Activation.unfenced(true);
    private volatile String lastError = "";
    private volatile long lastErrorAtMs;

    public Agent(Config config, Etcd etcd, NodeAdapter node, HangWatchdog watchdog, Keys keys) throws BadInputException {
        this(config, etcd, node, watchdog, keys, null);
    }

    /** With an alert source, the agent raises WATCHDOG_STALE and ELECTION_DUTY_OFF itself. */
    public Agent(Config config, Etcd etcd, NodeAdapter node, HangWatchdog watchdog, Keys keys, Alerting.Source alertSource)
            throws BadInputException {
        this.config = config;
        this.cs = config.coordination();
        this.etcd = etcd;
        this.node = node;
        this.watchdog = watchdog;
        this.self = config.host();
        this.prefix = cs.prefix(config.validator());
        this.tag = "validator " + config.validator() + " on " + self + ": ";
        this.policy = Decide.Policy.of(config, node);
        this.promises = new PromiseDesk(config.stateDir(), cs.promiseDuration(), System::nanoTime, tag);
        this.failsafe = cs.failsafe() ? FailsafeLink.open(config, ReleaseProof.liveKeys(config), promises, tag) : null;
        this.keeper = new LeaseKeeper(etcd, cs, watchdog, failsafe != null ? failsafe : LeaseKeeper.Failsafe.OFF, tag);
        if (failsafe != null) {
            // a look counts as etcd's answer for a request timeout and two polls: the agent looks again meanwhile
            long fresh = cs.requestTimeout().plus(cs.pollInterval().multipliedBy(2)).toNanos();
            failsafe.answer(new FailsafeStanding(self, keeper, () -> look, fresh, failsafe::peers, node, cs.takeoverRounds()));
        }
        this.nodeSwitch = new NodeSwitch(node, keys, cs, NodeAdapters.unit(config), tag, this::recordRoleBeforeKill);
        this.observer = new NodeObserver(node, keys, cs.takeoverRounds(), () -> lastHeldEpoch, nodeSwitch::unitState);
        this.publisher = new StatusPublisher(config, etcd, node, observer, keys, watchdog, policy.checkNanos(), this::error);
        this.report = new TakeoverReport(etcd, prefix + Snapshot.REPORTS, config.stateDir(), cs.requestTimeout(), cs.takeoverRounds(), tag);
        this.alerts = new AgentAlerts(alertSource, config, this::error);
        this.proof = ReleaseProof.of(config);
        this.resignation = new Resignation(etcd, cs, keeper, nodeSwitch, observer, watchdog, report, proof,
                () -> activation, this::writeRole, self, prefix, tag);
        this.pusher = new KeyPusher(config, node, this::error);
        this.acquisition = new Acquisition(etcd, cs, self, config.validator(), alerts, this::error, tag, System::nanoTime);
        if (policy.isMain() && cs.sharedBackup().enabled()) {
            throw new BadInputException(config.source() + ": coordination.shared_backup: only a backup host is shared by several "
                    + "validators; " + self + " is this validator's main");
        }
    }

    /** The production key source: the node's own keys, else the newest verified bundle. */
    public static Keys storeKeys(Config config, NodeAdapter node) {
        return new StoreKeys(config, node);
    }

    public boolean isHolder() {
        return keeper.holding();
    }

    public long epoch() {
        return keeper.role().epoch();
    }

    private void error(String message) {
        lastError = message;
        lastErrorAtMs = System.currentTimeMillis();
    }

    private String lastError() {
        String own = System.currentTimeMillis() - lastErrorAtMs < 10_000 ? lastError : "";
        return own.isEmpty() ? keeper.lastError() : own;
    }

    // ---------------------------------------------------------------- the loop

    /** Runs until {@link #close()}: the lease keeper on its threads, read → decide → act on the caller's. */
    public void run() throws IOException {
        AtomicFiles.createPrivateDirectories(config.stateDir());
        try {
            lastHeldEpoch = LocalRole.read(config.stateDir()).lastHeldEpoch();
        } catch (BadInputException e) {
            LOG.warn("{}{}; the node's keys are kept at the next takeover (how new they are is not known)", tag, e.getMessage());
            lastHeldEpoch = LocalRole.UNKNOWN;
        }
        writeRole();
        // a node already known not to answer is killed at once, not asked to deactivate first
        keeper.start((held, reason) -> resignation.giveUp(held, reason, false, memory.node().silent()));
        LOG.info("{}agent started ({}; lease {} ms, fences after {} ms, takeover after {} rounds without a vote, watchdog {})",
                tag, policy.isMain() ? "main" : "backup", cs.leaseTtl().toMillis(), cs.fenceAfter().toMillis(), cs.takeoverRounds(),
                cs.watchdog().driver());
        while (!stopping) {
            long t0 = System.nanoTime();
            try {
                tick();
            } catch (RuntimeException e) {
                if (stopping && e instanceof RejectedExecutionException) {
                    break; // close() shut the executors down during this tick
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

    /** Read → decide → act, then the takeover report and the status. */
    private void tick() {
        boolean read = false;
        try {
            long t = System.nanoTime();
            look = new FailsafeStanding.Look(Snapshot.of(prefix, etcd.range(prefix, Snapshot.REPORTS, cs.requestTimeout()), proof), t);
            read = true;
        } catch (EtcdException e) {
            error("reading etcd: " + e.getMessage());
        }
        Snapshot latest = look.snapshot();
        if (read) {
            Role role = keeper.role();
            Decide.Decision d = Decide.decide(policy, latest, role, observer.tick(role.generation()), memory, Decide.Clock.now());
            memory = d.memory();
            acting.lock();
            try {
                for (Action a : d.actions()) {
                    if (!stopping) {
                        act(a);
                    }
                }
            } finally {
                acting.unlock();
            }
            if (d.actions().stream().noneMatch(a -> a instanceof Action.Acquire)) {
                acquisition.idle();
            }
            alerts.heartbeat(latest, keeper.holding());
        }
        if (keeper.holding()) {
            try {
                report.poll(node);
            } catch (NodeException | EtcdException | IOException e) {
                error("takeover report: " + e.getMessage());
            }
        }
        if (statusRun == null || statusRun.isDone()) {
            String lastHolder = memory.lastHolder();
            long heldBefore = lastHeldEpoch;
            statusRun = statusThread.submit(() -> publisher.maybePublish(latest, keeper::role, lastHolder, heldBefore, this::lastError));
        }
    }

    private void act(Action a) {
        if (a instanceof Action.Log l) {
            l.to(LOG, tag);
        } else if (a instanceof Action.Note n) {
            error(n.problem());
        } else if (a instanceof Action.Fence f) {
            keeper.fence(f.reason());
        } else if (a instanceof Action.StepDown s) {
            resignation.stepDown(s.reason(), s.hung());
        } else if (a instanceof Action.HandOver h) {
            String why = nodeSwitch.awaitOwnSignature(cs.takeoverRounds());
            if (why != null) {
                error("before handover: " + why);
            }
            LOG.info("{}switchover to {}: handing over at a round boundary", tag, h.to());
            resignation.stepDown("switchover to " + h.to(), false);
        } else if (a instanceof Action.RefuseSwitchover r) {
            refuseSwitchover(r);
        } else if (a instanceof Action.Reactivate) {
            reactivate();
        } else if (a instanceof Action.QuietNode) {
            quiet();
        } else if (a instanceof Action.StartNode st) {
            revive(st.why(), false);
        } else if (a instanceof Action.RestartNode rs) {
            revive(rs.why(), true);
        } else if (a instanceof Action.Adopt ad) {
            adopt(ad.leader());
        } else if (a instanceof Action.Acquire ac) {
            acquire(ac);
        } else if (a instanceof Action.Push) {
            pusher.pushSoon();
        }
    }

    // ---------------------------------------------------------------- taking the role

    /**
     * Takes the role unless a failsafe promise this agent gave still runs: no transaction is sent (and no request is
     * granted) until the attempt's outcome is known.
     */
    private void acquire(Action.Acquire a) {
        promises.whileTaking("take", () -> create(a));
    }

    private void create(Action.Acquire a) {
        Acquisition.Taken t = acquisition.take(a);
        if (t == null) {
            return;
        }
        long gen = keeper.hold(t.lease(), t.epoch(), t.sentNanos());
        long acquiredMs = System.currentTimeMillis();
        LOG.warn("{}TOOK THE SIGNING ROLE: epoch {} ({}{}; previous holder {} epoch {}; signs from round {} at the earliest{})", tag,
                t.epoch(), a.kind(), a.release() ? ", after its release" : "", a.previousHolder(), a.previousEpoch(), a.notBeforeRound(),
                t.slot() == null ? "" : "; capacity slot " + t.slot());
        long absentAtMs = memory.leaderAbsent() ? memory.absentSinceMs() : acquiredMs;
        if (takeRole(gen, new Activation(cs.electionDuty(), t.epoch(), a.notBeforeRound(), a.joinAfterMs(), -1))) {
            report.begin(config.validator(), self, t.epoch(), a, absentAtMs, acquiredMs);
        }
    }

    /** After a restart of the agent: the leader key names this host; keep its lease if it still lives. */
    private void adopt(Snapshot.Leader l) {
        promises.whileTaking("adopt", () -> resume(l));
    }

    private void resume(Snapshot.Leader l) {
        long sent = System.nanoTime();
        long ttl;
        try {
            ttl = etcd.keepAlive(l.lease(), cs.requestTimeout());
        } catch (EtcdException e) {
            error("adopting: " + e.getMessage());
            return;
        }
        if (ttl <= 0) {
            return;
        }
        long gen = keeper.hold(l.lease(), l.epoch(), sent);
        LOG.warn("{}the leader key names this host (epoch {}) and its lease lives: resuming as holder", tag, l.epoch());
        takeRole(gen, new Activation(cs.electionDuty(), l.epoch(), -1, -1, -1));
    }

    /**
     * Arms the watchdog, records the role, installs the keys and switches the node on, checking that no fence happened
     * meanwhile (undoing if so). True when the node was activated under generation {@code gen}.
     */
    private boolean takeRole(long gen, Activation a) {
        long heldBefore = lastHeldEpoch;
        try {
            watchdog.arm();
            writeRole();
        } catch (IOException e) {
            keeper.fence("cannot arm the watchdog or record the role: " + e.getMessage());
            return false;
        }
        try {
            NodeStatus st = nodeSwitch.install(heldBefore);
            if (!a.electionDuty() && !policy.isMain()) {
                LOG.warn("{}election duty is off: unless the main returns, the validator leaves the set after period {}", tag,
                        st.currentPeriod());
                alerts.send(List.of(Alert.of(AlertName.ELECTION_DUTY_OFF, config.validator(), self + " epoch " + a.epoch(),
                        self + " holds the signing role with election duty off; the validator leaves the set after period "
                                + st.currentPeriod())));
            }
            if (!keeper.current(gen)) {
                return false;
            }
            observer.forget();
            nodeSwitch.switchOn(a.joinUntil(System.currentTimeMillis() + keeper.fenceInMillis()));
        } catch (NodeException | IOException | BadInputException e) {
            LOG.error("{}activation failed: {}; stepping down", tag, e.getMessage());
            resignation.stepDown("activation failed: " + e.getMessage(), false);
            return false;
        }
        if (!keeper.current(gen)) {
            LOG.error("{}fenced while activating; deactivating again", tag);
            nodeSwitch.stop(true);
            return false;
        }
        activation = a.withoutJoin();
        memory = memory.activated(System.nanoTime());
        LOG.warn("{}node activated (epoch {}); it signs from {}{}", tag, a.epoch(),
                a.joinAfterMs() >= 0 ? "the round in progress when that began at or after " + Instant.ofEpochMilli(a.joinAfterMs())
                        + ", else the next round" : "the next round",
                a.notBeforeRound() >= 0 ? ", and not before round " + a.notBeforeRound() : "");
        return true;
    }

    private void reactivate() {
        long gen = keeper.role().generation();
        try {
            observer.forget();
            nodeSwitch.switchOn(activation);
            if (!keeper.current(gen)) {
                nodeSwitch.stop(true);
            }
        } catch (NodeException e) {
            error("node: " + e.getMessage());
        }
    }

    /** A standby's node that is down (or hung: {@code restart}) is started again through its unit and guard. */
    private void revive(String why, boolean restart) {
        LOG.warn("{}the node does not answer and {}: {} it through its unit (it starts without signing)", tag, why,
                restart ? "killing and starting" : "starting");
        try {
            observer.forget();
            if (restart) {
                nodeSwitch.restart();
            } else {
                nodeSwitch.start();
            }
        } catch (NodeException e) {
            LOG.error("{}could not bring the node back: {}", tag, e.getMessage());
            error("node: " + e.getMessage());
        }
    }

    private void quiet() {
        try {
            observer.forget();
            nodeSwitch.quiet();
        } catch (NodeException e) {
            error("node: " + e.getMessage());
        }
    }

    private void refuseSwitchover(Action.RefuseSwitchover r) {
        LOG.warn("{}switchover to {} refused: {}", tag, r.to(), r.why());
        try {
            etcd.delete(prefix + Snapshot.SWITCHOVER, cs.requestTimeout());
        } catch (EtcdException e) {
            error("deleting the refused switchover: " + e.getMessage());
        }
    }

    // ---------------------------------------------------------------- stopping

    /** For tests: the process dies here, with no release and no deactivation (as SIGKILL or power loss). */
    public void crashForTest() {
        stopping = true;
        keeper.crash();
        closeFailsafe();
        pusher.close();
        statusThread.shutdownNow();
        alerts.close();
    }

    /**
     * Stops. A holder deactivates its node first but keeps the role: restarted within the lease TTL (an upgrade) the
     * agent adopts its own lease and resumes without a failover; if it does not return, the lease expires and a
     * standby takes over after its evidence wait. While the node deactivates the lease is renewed on, within the
     * release budget: a slow deactivation is neither cut short by the fence deadline nor ended by a watchdog reset.
     */
    @Override
    public void close() {
        stopping = true;
        boolean waited = false;
        try {
            // an activation in progress finishes first (bounded: past the budget, the stop goes ahead, and an activation
            // that then finds its role gone deactivates the node again)
            waited = acting.tryLock(nodeSwitch.releaseBudget().toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            LeaseKeeper.Held h = keeper.drop(nodeSwitch.releaseBudget());
            if (h != null) {
                LOG.warn("{}stopping (epoch {}): deactivating the node; the role stays until the lease expires", tag, h.epoch());
                resignation.giveUp(h, "the agent is stopping (the role stays until the lease expires, for a restart to resume it)",
                        false, false);
            }
        } finally {
            if (waited) {
                acting.unlock();
            }
        }
        keeper.close();
        closeFailsafe();
        pusher.close();
        statusThread.shutdownNow();
        alerts.close();
        publisher.close();
    }

    private void closeFailsafe() {
        if (failsafe != null) {
            failsafe.close();
        }
    }

    // ---------------------------------------------------------------- role file

    private void recordRoleBeforeKill() {
        try {
            writeRole();
        } catch (IOException e) {
            LOG.error("{}cannot record the role before killing the node: {}", tag, e.getMessage());
        }
    }

    private synchronized void writeRole() throws IOException {
        Role r = keeper.role();
        if (r.holding()) {
            lastHeldEpoch = r.epoch();
        }
        new LocalRole(true, r.holding(), r.epoch(), lastHeldEpoch, Instant.now().toString()).write(config.stateDir());
    }
}
