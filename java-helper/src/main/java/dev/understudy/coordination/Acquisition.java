package dev.understudy.coordination;

import dev.understudy.common.Json;
import dev.understudy.config.CoordinationSettings;
import dev.understudy.config.CoordinationSettings.SharedBackup;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.LongSupplier;

/**
 * Taking the role in etcd, once the agent's rules decided to (docs/coordination.md, "Taking the role" and "Shared
 * backup"): a new lease, then one transaction that creates the leader key on it if absent (and nothing was granted
 * since the rules looked) and writes the epoch key; a lease that took nothing is revoked.
 *
 * <p>On a shared backup the same transaction also creates one of this host's capacity slot keys on the role's lease,
 * and fails if another instance took that slot first: the host never holds more roles than it has slots, however its
 * instances interleave, and a slot is free again exactly when the role's lease ends (released, or expired after a
 * fence). An instance of priority rank r waits (r - 1) x {@code priority_step_ms} from the first of a run of decisions
 * to take at which a slot was free before it tries, so that when several mains fail together — or several validators
 * waited for a full host's slot — the higher ranks take the free slots first.
 * Nothing here decides whether to take: capacity and priority only hold a decided take back.
 */
final class Acquisition {
    private static final org.apache.logging.log4j.Logger LOG = org.apache.logging.log4j.LogManager.getLogger(Acquisition.class);
    /** What became of one decision to take. */
    sealed interface Outcome permits Taken, Lost, Waiting, NoSlot, Failed {
    }

    /** The role is ours: the lease, the epoch, the send time of the lease's grant (its first acknowledged renewal). */
    record Taken(long lease, long epoch, long sentNanos, String slot) implements Outcome {
    }

    /** Another host's key is there, or one was made since the rules looked (logged; the next tick looks again). */
    record Lost(String why) implements Outcome {
    }

    /** Waiting for this instance's priority turn. */
    record Waiting(long leftMs) implements Outcome {
    }

    /** Every slot of the host is held: the roles they hold, as their values name them. */
    record NoSlot(List<String> holders) implements Outcome {
    }

    record Failed(String error) implements Outcome {
    }

    private final Etcd etcd;
    private final CoordinationSettings cs;
    private final String self;
    private final String validator;
    private final String prefix;
    private final AgentAlerts alerts;
    private final java.util.function.Consumer<String> error;
    private final String tag;
    private final LongSupplier nanos;
    /** Decisions to take further apart than this start a new run (and a new priority wait). */
    private final long runGapNanos;
    private long runSinceNanos;
    private long lastDecisionNanos;
    private boolean inRun;
    private long nextWhyNanos;

    Acquisition(Etcd etcd, CoordinationSettings cs, String self, String validator, AgentAlerts alerts,
            java.util.function.Consumer<String> error, String tag, LongSupplier nanos) {
        this.alerts = alerts;
        this.error = error;
        this.tag = tag;
        this.etcd = etcd;
        this.cs = cs;
        this.self = self;
        this.validator = validator;
        this.prefix = cs.prefix(validator);
        this.nanos = nanos;
        this.runGapNanos = cs.pollInterval().multipliedBy(4).plus(cs.requestTimeout().multipliedBy(3)).toNanos();
    }

    /**
     * Takes the role as decided in {@code a}; null when it did not, having said why (a log line at most every few
     * seconds, the agent's last error, BACKUP_CAPACITY while every slot is held).
     */
    Taken take(Action.Acquire a) {
        Outcome o = attempt(a);
        if (o instanceof Taken t) {
            alerts.capacity(null);
            return t;
        }
        if (o instanceof NoSlot n) {
            String why = "every capacity slot of " + self + " (" + cs.sharedBackup().capacity() + ") is held, for "
                    + String.join(", ", n.holders()) + ": not taking the role of " + validator;
            error.accept(why);
            alerts.capacity(why);
            if (sayWhy()) {
                LOG.warn("{}{}", tag, why);
            }
            return null;
        }
        alerts.capacity(null);
        if (o instanceof Waiting w) {
            if (sayWhy()) {
                LOG.info("{}could take the role; priority {} waits {} ms more for higher ranks", tag, cs.sharedBackup().priority(),
                        w.leftMs());
            }
        } else if (o instanceof Failed f) {
            error.accept(f.error());
        } else if (o instanceof Lost l) {
            LOG.info("{}{}", tag, l.why());
        }
        return null;
    }

    /** A tick that decided not to take: nothing to take, so no capacity problem either. */
    void idle() {
        alerts.capacity(null);
    }

    Outcome attempt(Action.Acquire a) {
        SharedBackup sb = cs.sharedBackup();
        Duration rt = cs.requestTimeout();
        String slotKey = null;
        try {
            if (sb.enabled()) {
                Etcd.Range held = etcd.range(SharedBackup.slotPrefix(self), rt);
                // a key above the capacity (it was lowered) still counts as held
                slotKey = held.kvs().size() >= sb.capacity() ? null : freeSlot(sb, self, held.kvs());
                if (slotKey == null) {
                    // the priority wait counts from when a slot could be had: ranks that waited for one together
                    // still take it in order
                    inRun = false;
                    return new NoSlot(held.kvs().stream().map(Etcd.KeyValue::value).sorted().toList());
                }
            }
            long now = nanos.getAsLong();
            if (!inRun || now - lastDecisionNanos > runGapNanos) {
                runSinceNanos = now;
                inRun = true;
            }
            lastDecisionNanos = now;
            long left = sb.priorityWait().toNanos() - (now - runSinceNanos);
            if (sb.enabled() && left > 0) {
                return new Waiting(Math.max(1, left / 1_000_000));
            }
            long sent = nanos.getAsLong();
            long lease = etcd.grant(cs.leaseTtl().toSeconds(), rt);
            String since = Instant.now().toString();
            Etcd.Created c = etcd.acquire(prefix + Snapshot.LEADER,
                    Json.MAPPER.writeValueAsString(Json.object().put("holder", self).put("since", since).put("lease", Long.toString(lease))),
                    lease, prefix + Snapshot.EPOCH, Json.MAPPER.writeValueAsString(Json.object().put("holder", self).put("since", since)),
                    a.expectEpochRev(), slotKey, slotKey == null ? null : validator, rt);
            if (c.created()) {
                inRun = false;
                return new Taken(lease, c.current().createRevision(), sent, slotKey);
            }
            try {
                etcd.revoke(lease, rt);
            } catch (EtcdException e) {
                // expires by itself
            }
            if (c.current() != null) {
                return new Lost("another host took the role first (" + c.current().value() + ")");
            }
            if (c.slot() != null) {
                return new Lost("slot " + slotKey + " was taken for " + c.slot().value() + " since this host looked; looking again");
            }
            return new Lost("a leader key was created since this host looked; looking again");
        } catch (EtcdException | com.fasterxml.jackson.core.JsonProcessingException e) {
            return new Failed("acquiring: " + e.getMessage());
        }
    }

    /** Whether a held-back take should say why now: at most every {@link Decide#WAIT_LOG_NANOS}. */
    boolean sayWhy() {
        long now = nanos.getAsLong();
        if (nextWhyNanos != 0 && now - nextWhyNanos < 0) {
            return false;
        }
        nextWhyNanos = now + Decide.WAIT_LOG_NANOS;
        return true;
    }

    /** The lowest of {@code host}'s slot keys 1..capacity that no key holds; null when all are held. */
    static String freeSlot(SharedBackup sb, String host, List<Etcd.KeyValue> held) {
        Set<String> taken = new TreeSet<>();
        held.forEach(kv -> taken.add(kv.key()));
        for (int i = 1; i <= sb.capacity(); i++) {
            String k = SharedBackup.slotPrefix(host) + i;
            if (!taken.contains(k)) {
                return k;
            }
        }
        return null;
    }
}
