package dev.understudy.coordination;

import dev.understudy.common.AtomicFiles;
import dev.understudy.common.FileTrees;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.function.LongSupplier;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The promises this agent gives a holder whose etcd renewals lag, and the gate they put on taking the role.
 *
 * <p>A grant means: this agent sends no transaction that takes the role (and adopts no leader key naming it) for
 * {@code promise} from the request's arrival, on its monotonic clock. It is written to {@value #FILE} before the grant
 * is sent; an agent that starts and finds that file waits a whole {@code promise} before it takes the role, whatever
 * the file says (a restart or a reboot may come at any point of a promise, and the wall clock cannot say how much is
 * left). The file goes once no promise runs.
 *
 * <p>Taking the role and granting exclude each other: {@link #beginTaking()} fails while a promise runs, and a request
 * is refused between {@link #beginTaking()} and {@link #endTaking()} (the transaction's outcome unknown); after a
 * transaction that took the role, the agent holds it and refuses for that reason.
 */
final class PromiseDesk {
    private static final Logger LOG = LogManager.getLogger(PromiseDesk.class);
    static final String FILE = "failsafe-promise.json";
    /** A request older or newer than this, by the wall clock, is refused: a replay, or clocks too far apart. */
    static final long FRESH_MS = 5000;

    /** Why this agent may not promise now (null: it may), from its role, etcd snapshot and chain view. */
    interface Standing {
        /** Asked with the desk held: quick (no I/O), so that taking the role never waits on it. */
        String refusal(FailsafeMessage.Request r);

        /** Asked before, without the desk held: what may take a node's or the chain's answer. */
        default String slowRefusal(FailsafeMessage.Request r) {
            return null;
        }
    }

    private final Path file;
    private final Duration promise;
    private final LongSupplier nanos;
    private final String tag;
    private long untilNanos;
    private boolean promised;
    private boolean taking;
    private String promisedTo = "";
    private final Map<String, Long> lastSentMs = new HashMap<>();
    private boolean refusedLogged;
    private long refusedLogNanos;

    PromiseDesk(Path stateDir, Duration promise, LongSupplier nanos, String tag) {
        this.file = stateDir.resolve(FILE);
        this.promise = promise;
        this.nanos = nanos;
        this.tag = tag;
        if (FileTrees.exists(file)) {
            untilNanos = nanos.getAsLong() + promise.toNanos();
            promised = true;
            promisedTo = "a holder (a promise given before this agent started)";
            LOG.warn("{}a failsafe promise given before this start may still run ({}): not taking the role for {} ms", tag,
                    file, promise.toMillis());
        }
    }

    /** The answer to one verified request from a configured host; {@code standing} says whether this agent may. */
    FailsafeMessage.Answer consider(FailsafeMessage.Request r, String self, long wallMs, Standing standing) {
        String slow = standing.slowRefusal(r);
        synchronized (this) {
            return decide(r, self, wallMs, standing, slow);
        }
    }

    private FailsafeMessage.Answer decide(FailsafeMessage.Request r, String self, long wallMs, Standing standing, String slow) {
        String why = null;
        Long last = lastSentMs.get(r.from());
        if (Math.abs(wallMs - r.sentMs()) > FRESH_MS) {
            why = "the request was sent at " + Instant.ofEpochMilli(r.sentMs()) + ", more than " + FRESH_MS
                    + " ms from this host's clock (" + Instant.ofEpochMilli(wallMs) + ")";
        } else if (last != null && r.sentMs() <= last) {
            why = "a request of " + r.from() + " sent at or before one already answered (a replay)";
        } else if (taking) {
            why = "this agent is taking the role (its transaction's outcome is not known yet)";
        } else {
            why = standing.refusal(r);
            if (why == null) {
                why = slow;
            }
        }
        long now = nanos.getAsLong();
        // a promise that ran out is not running, though running() has not cleared it yet
        boolean wasRunning = promised && untilNanos - now > 0;
        if (why == null) {
            lastSentMs.put(r.from(), r.sentMs());
            try {
                record(r, wallMs);
            } catch (IOException e) {
                why = "cannot record the promise (" + e.getMessage() + ")";
            }
        }
        if (why == null) {
            long until = now + promise.toNanos();
            if (!wasRunning || until - untilNanos > 0) {
                untilNanos = until;
            }
            if (!wasRunning || !promisedTo.equals(r.from())) {
                LOG.warn("{}failsafe: {} (epoch {}) asked directly for a promise; granted: this host does not take the role"
                        + " for {} ms from now, renewed with each request", tag, r.from(), r.epoch(), promise.toMillis());
            }
            promised = true;
            promisedTo = r.from();
        }
        return new FailsafeMessage.Answer(r.validator(), self, r.from(), r.epoch(), r.sentMs(), why == null, why == null ? "" : why);
    }

    private void record(FailsafeMessage.Request r, long wallMs) throws IOException {
        String json = "{\"to\":\"" + r.from() + "\",\"epoch\":" + r.epoch() + ",\"grantedAtMs\":" + wallMs + ",\"promiseMs\":"
                + promise.toMillis() + "}\n";
        AtomicFiles.write(file, json.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Before a transaction that takes the role (or an adoption of a leader key naming this host): false while a
     * promise runs. True means no request is granted until {@link #endTaking()}.
     */
    synchronized boolean beginTaking() {
        if (running()) {
            return false;
        }
        taking = true;
        return true;
    }

    synchronized void endTaking() {
        taking = false;
    }

    /**
     * Runs {@code take} (a transaction that takes the role, or an adoption) unless a promise runs, which is logged at
     * most every 5 s; no request is granted while it runs. False when it did not run.
     */
    boolean whileTaking(String what, Runnable take) {
        if (!beginTaking()) {
            long now = nanos.getAsLong();
            synchronized (this) {
                if (now - refusedLogNanos >= Decide.WAIT_LOG_NANOS || !refusedLogged) {
                    refusedLogged = true;
                    refusedLogNanos = now;
                    LOG.warn("{}not going to {} the role: this agent promised {} not to (failsafe)", tag, what, promise());
                }
            }
            return false;
        }
        try {
            take.run();
            return true;
        } finally {
            endTaking();
        }
    }

    /** Whom this agent has promised, and for how many more ms; null when no promise runs. */
    synchronized String promise() {
        return running() ? promisedTo + " for " + (untilNanos - nanos.getAsLong()) / 1_000_000 + " ms more" : null;
    }

    /** Whether a promise runs; one that ran out has its file removed. */
    private boolean running() {
        if (!promised) {
            return false;
        }
        if (untilNanos - nanos.getAsLong() > 0) {
            return true;
        }
        promised = false;
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            LOG.warn("{}cannot remove {} ({}): the next start waits a promise's length before taking the role", tag, file,
                    e.getMessage());
        }
        return false;
    }
}
