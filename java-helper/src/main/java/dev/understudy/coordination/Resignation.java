package dev.understudy.coordination;

import dev.understudy.cli.BadInputException;
import dev.understudy.config.CoordinationSettings;
import dev.understudy.node.Activation;
import java.io.IOException;
import java.time.Duration;
import java.util.function.Supplier;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Giving the signing role up: the node stopped and confirmed stopped first (renewing the lease meanwhile, within the
 * release budget), then — on purpose — the leader key deleted with a signed release record in one transaction and
 * the lease revoked; the watchdog disarmed only once the node is confirmed stopped; a cooldown before any retake.
 */
final class Resignation {
    private static final Logger LOG = LogManager.getLogger(Resignation.class);

    /** Records this host's role in its state directory. */
    interface RoleWriter {
        void write() throws IOException;
    }

    private final Etcd etcd;
    private final CoordinationSettings cs;
    private final LeaseKeeper keeper;
    private final NodeSwitch nodeSwitch;
    private final NodeObserver observer;
    private final HangWatchdog watchdog;
    private final TakeoverReport report;
    private final ReleaseProof proof;
    private final Supplier<Activation> activation;
    private final RoleWriter role;
    private final String self;
    private final String leaderKey;
    private final String releasedKey;
    private final String tag;

    Resignation(Etcd etcd, CoordinationSettings cs, LeaseKeeper keeper, NodeSwitch nodeSwitch, NodeObserver observer,
            HangWatchdog watchdog, TakeoverReport report, ReleaseProof proof, Supplier<Activation> activation, RoleWriter role,
            String self, String prefix, String tag) {
        this.etcd = etcd;
        this.cs = cs;
        this.keeper = keeper;
        this.nodeSwitch = nodeSwitch;
        this.observer = observer;
        this.watchdog = watchdog;
        this.report = report;
        this.proof = proof;
        this.activation = activation;
        this.role = role;
        this.self = self;
        this.leaderKey = prefix + Snapshot.LEADER;
        this.releasedKey = prefix + Snapshot.RELEASED;
        this.tag = tag;
    }

    /**
     * Gives the role up on purpose: deactivate (or, for a node that does not answer, kill), confirm, then release the
     * key with a record and revoke the lease.
     */
    void stepDown(String reason, boolean hung) {
        LeaseKeeper.Held h = keeper.drop(nodeSwitch.releaseBudget());
        if (h != null) {
            LOG.warn("{}stepping down (epoch {}): {}", tag, h.epoch(), reason);
            giveUp(h, reason, true, hung);
        }
    }

    /**
     * Stops the node of a role already dropped. With {@code release}, once the node confirmed it stopped, one
     * transaction deletes the leader key and writes the release record (the epoch, the last round the node signed —
     * never below the floor it was activated with); then the lease is revoked. Without, the lease stays to expire.
     */
    void giveUp(LeaseKeeper.Held h, String reason, boolean release, boolean hung) {
        boolean stopped;
        try {
            stopped = nodeSwitch.stop(!hung);
            observer.forget();
            if (stopped && release) {
                release(h);
            }
        } finally {
            keeper.endRelease();
        }
        if (stopped) {
            try {
                watchdog.disarm();
            } catch (IOException e) {
                LOG.error("{}disarming the watchdog failed: {}", tag, e.getMessage());
            }
        } else {
            LOG.error("{}the node could not be confirmed stopped; the watchdog stays armed", tag);
        }
        keeper.cooldown(h.generation(), cs.cooldown());
        report.drop();
        try {
            role.write();
        } catch (IOException e) {
            LOG.error("{}cannot record the role: {}", tag, e.getMessage());
        }
        LOG.warn("{}now standby (epoch {} given up: {})", tag, h.epoch(), reason);
    }

    /**
     * Deletes the leader key with the signed release record, or without one when the stopped node cannot say the last
     * round it signed (a killed node cannot) or the record cannot be signed (a standby then waits for the chain's
     * evidence), and revokes the lease.
     */
    private void release(LeaseKeeper.Held h) {
        Duration rt = cs.requestTimeout();
        long last = nodeSwitch.lastSignedRound();
        Activation a = activation.get();
        String record = null;
        long floor = a.epoch() == h.epoch() ? Math.max(last, a.notBeforeRound() - 1) : last;
        if (last >= 0) {
            try {
                record = proof.record(self, h.epoch(), floor, System.currentTimeMillis());
            } catch (IOException | BadInputException e) {
                LOG.error("{}cannot sign the release record ({}); releasing without one", tag, e.getMessage());
            }
        }
        try {
            if (record == null) {
                etcd.deleteIfCreated(leaderKey, h.epoch(), rt);
            } else if (etcd.release(leaderKey, h.epoch(), releasedKey, record, rt)) {
                LOG.warn("{}released epoch {}: its node signs no round after {}", tag, h.epoch(), floor);
            } else {
                LOG.warn("{}the leader key of epoch {} was already gone; no release record", tag, h.epoch());
            }
            etcd.revoke(h.lease(), rt);
        } catch (EtcdException e) {
            LOG.warn("{}releasing the role failed ({}); it expires with the lease", tag, e.getMessage());
        }
    }
}
