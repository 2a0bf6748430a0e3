package dev.understudy.coordination;

import dev.understudy.node.Evidence;
import dev.understudy.node.NodeAdapter;
import dev.understudy.node.NodeException;
import java.util.List;
import java.util.function.Supplier;

/**
 * Whether this agent may promise a holder not to take the role ({@link PromiseDesk.Standing}). It may not while it
 * holds the role or is giving it up (its node may still sign), when it knows a newer epoch than the request names
 * (the role moved on), when it reads etcd itself (a quorum answered its last look, moments ago) and the leader key
 * is absent or names another epoch — etcd decides every partition in which it answers someone — when the request does not ask every main and backup this host's config names (the configs
 * differ, and a host the holder did not ask could take the role), or when its chain view does not show the key's
 * vote within {@code takeover_rounds} rounds: a holder that does not reach the chain, or whose node stopped, gets
 * no promise, fences, and the role passes as without the failsafe.
 */
final class FailsafeStanding implements PromiseDesk.Standing {
    /** The chain's view is asked at most this often (requests come every keep-alive interval). */
    static final long EVIDENCE_FRESH_NANOS = 1_000_000_000L;

    private final String self;
    private final LeaseKeeper keeper;
    /** The agent's last snapshot and when it was read (a linearizable read: a quorum answered). */
    record Look(Snapshot snapshot, long readAtNanos) {
    }

    private final Supplier<Look> look;
    private final long freshNanos;
    private final Supplier<List<String>> peers;
    private final NodeAdapter node;
    private final int rounds;
    private Evidence evidence;
    private String evidenceError;
    private long evidenceAtNanos;

    FailsafeStanding(String self, LeaseKeeper keeper, Supplier<Look> look, long freshNanos, Supplier<List<String>> peers,
            NodeAdapter node, int rounds) {
        this.self = self;
        this.keeper = keeper;
        this.look = look;
        this.freshNanos = freshNanos;
        this.peers = peers;
        this.node = node;
        this.rounds = rounds;
    }

    @Override
    public String refusal(FailsafeMessage.Request r) {
        if (keeper.holding()) {
            return "this host holds the role (epoch " + keeper.role().epoch() + ")";
        }
        if (keeper.givingUp()) {
            return "this host is giving the role up and its node may still sign";
        }
        Look l = look.get();
        long known = l.snapshot().latestEpoch();
        if (known > r.epoch()) {
            return "epoch " + known + " was granted after the request's epoch " + r.epoch();
        }
        Snapshot.Leader leader = l.snapshot().leader();
        if (System.nanoTime() - l.readAtNanos() < freshNanos && (leader == null || leader.epoch() != r.epoch())) {
            return "this host reads etcd (a quorum answers) and the leader key is " + (leader == null ? "absent"
                    : "held under epoch " + leader.epoch()) + ": etcd decides";
        }
        if (!r.asked().contains(self)) {
            return "the request does not name this host among those asked " + r.asked();
        }
        for (String h : peers.get()) {
            if (!h.equals(r.from()) && !r.asked().contains(h)) {
                return "the request does not ask " + h + ", a main or backup in this host's config (the configs differ)";
            }
        }
        return null;
    }

    @Override
    public synchronized String slowRefusal(FailsafeMessage.Request r) {
        long now = System.nanoTime();
        if ((evidence == null && evidenceError == null) || now - evidenceAtNanos >= EVIDENCE_FRESH_NANOS) {
            try {
                evidence = node.evidence(rounds);
                evidenceError = null;
            } catch (NodeException | RuntimeException e) {
                evidence = null;
                evidenceError = e.getMessage();
            }
            evidenceAtNanos = now;
        }
        if (evidence == null) {
            return "this host's chain view cannot tell whether the key signs (" + evidenceError + ")";
        }
        if (!evidence.inCurrentSet()) {
            return "the validator is not in the current set (nothing to sign through an etcd outage)";
        }
        if (!evidence.signedRecently()) {
            return "the chain shows no vote of the key since round " + evidence.lastVoteRound() + " (chain at "
                    + evidence.chainRound() + ")";
        }
        return null;
    }
}
