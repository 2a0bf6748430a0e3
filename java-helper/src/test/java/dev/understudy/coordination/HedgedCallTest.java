package dev.understudy.coordination;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The holder's keep-alive through an etcd election, played with the timings etcd shows: a renewal that reaches a
 * member before it knows the new leader waits an election timeout (500 ms) and fails at its own timeout (400 ms);
 * one sent after the new leader is known is answered at once.
 */
class HedgedCallTest {
    static final long TIMEOUT_MS = 400;

    /** Renewals against an etcd without a leader until {@code electedAt} (System.nanoTime()). */
    static final class Election implements Runnable {
        final long electedAt;
        final AtomicLong ackSentAt = new AtomicLong();
        final AtomicInteger inFlight = new AtomicInteger();
        final AtomicInteger mostInFlight = new AtomicInteger();
        final AtomicInteger attempts = new AtomicInteger();

        Election(long electedAt) {
            this.electedAt = electedAt;
        }

        @Override
        public void run() {
            long sent = System.nanoTime();
            attempts.incrementAndGet();
            mostInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
            try {
                if (sent >= electedAt) {
                    ackSentAt.compareAndSet(0, sent);
                    return;
                }
                Thread.sleep(TIMEOUT_MS); // waits on the lost leader, then times out
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                inFlight.decrementAndGet();
            }
        }
    }

    @Test
    void aRenewalSentAfterTheElectionIsAcknowledgedWithinAHedgeNotAfterTheStuckOnesTimeOut() {
        try (HedgedCall call = new HedgedCall("test-keepalive", 4, 100, 50)) {
            long t0 = System.nanoTime();
            // the election ends a little after the second attempt of a one-at-a-time renewal began (0 ms, 450 ms):
            // that one would wait until 850 ms and the next start at 900 ms, 400 ms after the new leader
            Election e = new Election(t0 + 500_000_000L);
            call.run(e, () -> e.ackSentAt.get() != 0);
            long lateMs = (e.ackSentAt.get() - e.electedAt) / 1_000_000;
            System.out.println("keep-alive acknowledged " + lateMs + " ms after the election; " + e.attempts.get()
                    + " attempts, at most " + e.mostInFlight.get() + " at once");
            assertTrue(lateMs >= 0 && lateMs < 200, "acknowledged " + lateMs + " ms after the election");
            assertTrue(e.mostInFlight.get() <= 4, "at most 4 at once, saw " + e.mostInFlight.get());
        }
    }

    @Test
    void attemptsThatFailAtOnceAreRetriedAtAPaceNotInABusyLoop() {
        try (HedgedCall call = new HedgedCall("test-keepalive", 4, 100, 50)) {
            AtomicInteger attempts = new AtomicInteger();
            long until = System.nanoTime() + 500_000_000L;
            call.run(attempts::incrementAndGet, () -> System.nanoTime() >= until);
            // one attempt per 50 ms pause: about 10 in 500 ms
            assertTrue(attempts.get() >= 3 && attempts.get() <= 12, attempts.get() + " attempts in 500 ms");
        }
    }

    @Test
    void anAnsweredCallStartsNoMoreAttempts() {
        try (HedgedCall call = new HedgedCall("test-keepalive", 4, 100, 50)) {
            AtomicInteger attempts = new AtomicInteger();
            call.run(attempts::incrementAndGet, () -> attempts.get() > 0);
            assertTrue(attempts.get() == 1, attempts.get() + " attempts");
        }
    }
}
