package dev.understudy.coordination;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Repeats one idempotent call (the holder's lease keep-alive) until it is done, so that an answer that will not come
 * costs little: while no attempt has succeeded, another starts every {@code hedgeMillis} beside those still waiting
 * (at most {@code maxInFlight} at once, each with its own full timeout), and one that fails at once is followed by the
 * next after {@code retryMillis}, not in a busy loop.
 *
 * <p>Why: when the etcd leader is lost, a keep-alive that reaches a member before it knows the new leader waits a
 * whole election timeout inside etcd and then fails; only one sent after the new leader is known succeeds. One
 * attempt at a time adds each attempt's timeout to the election, and that fenced the lab's main.
 */
final class HedgedCall implements AutoCloseable {
    private static final Logger LOG = LogManager.getLogger(HedgedCall.class);
    private final String name;
    private final int maxInFlight;
    private final long hedgeMillis;
    private final long retryMillis;
    private final ExecutorService pool;
    private final AtomicInteger inFlight = new AtomicInteger();

    HedgedCall(String name, int maxInFlight, long hedgeMillis, long retryMillis) {
        this.name = name;
        this.maxInFlight = maxInFlight;
        this.hedgeMillis = hedgeMillis;
        this.retryMillis = retryMillis;
        this.pool = Executors.newFixedThreadPool(maxInFlight, r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Starts attempts until {@code done} is true (checked before each start and after each wait). An attempt reports
     * success through the state {@code done} reads; it handles its own errors. Returns when done, or when interrupted
     * or closed.
     */
    void run(Runnable attempt, BooleanSupplier done) {
        while (!done.getAsBoolean()) {
            Future<?> started = null;
            if (inFlight.get() < maxInFlight) {
                inFlight.incrementAndGet();
                try {
                    started = pool.submit(() -> {
                        try {
                            attempt.run();
                        } finally {
                            inFlight.decrementAndGet();
                        }
                    });
                } catch (RejectedExecutionException e) {
                    inFlight.decrementAndGet();
                    return; // closed
                }
            }
            try {
                if (started == null) {
                    Thread.sleep(hedgeMillis); // as many waiting as allowed: let one of them finish
                } else {
                    started.get(hedgeMillis, TimeUnit.MILLISECONDS);
                    if (!done.getAsBoolean()) {
                        Thread.sleep(retryMillis); // it failed at once (e.g. refused)
                    }
                }
            } catch (TimeoutException e) {
                // no answer yet: the next pass starts another attempt beside it
            } catch (ExecutionException e) {
                // the attempt handles the errors it expects; anything else is a bug to see, and the next pass retries
                LOG.error("{}: an attempt failed unexpectedly", name, e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}
