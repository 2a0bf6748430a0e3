package dev.understudy.coordination;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * The holder's side of the failsafe: which requests it sent (epoch, generation of the role, send time on the
 * monotonic clock) and which every other agent granted. {@link #grantedSince} is the send time of the newest request
 * that all of them granted — a keep-alive acknowledged by every agent that could take the role — or {@link #NONE}.
 */
final class PromiseSeeker {
    static final long NONE = Long.MIN_VALUE;
    /** Requests kept for matching answers: a few seconds' worth at any interval. */
    static final int KEEP = 64;

    private record Sent(long epoch, long generation, long sentNanos) {
    }

    private final List<String> peers;
    private final LongSupplier nanos;
    private final LongSupplier wallMs;
    private final Map<Long, Sent> sent = new HashMap<>();
    /** Per peer, the send time of the newest request it granted, for {@link #generation}. */
    private final Map<String, Long> granted = new HashMap<>();
    private long generation = -1;
    private long lastSentMs;
    private long lastSentNanos;

    PromiseSeeker(List<String> peers, LongSupplier nanos, LongSupplier wallMs) {
        this.peers = List.copyOf(peers);
        this.nanos = nanos;
        this.wallMs = wallMs;
    }

    List<String> peers() {
        return peers;
    }

    /**
     * A new request for the holder of {@code epoch} under role generation {@code gen}, if {@code spacingNanos} passed
     * since the last; its wall-clock send time (rising with every request), or -1 when not due.
     */
    synchronized long next(long epoch, long gen, long spacingNanos) {
        long n = nanos.getAsLong();
        if (gen != generation) {
            generation = gen;
            granted.clear();
            sent.clear();
        } else if (lastSentMs > 0 && n - lastSentNanos < spacingNanos) {
            return -1;
        }
        long ms = Math.max(wallMs.getAsLong(), lastSentMs + 1);
        if (sent.size() >= KEEP) {
            sent.keySet().stream().min(Long::compare).ifPresent(sent::remove);
        }
        sent.put(ms, new Sent(epoch, gen, n));
        lastSentMs = ms;
        lastSentNanos = n;
        return ms;
    }

    /** A verified answer from {@code peer}: a grant of a request of this generation counts from its send time. */
    synchronized void answered(String peer, FailsafeMessage.Answer a) {
        Sent s = sent.get(a.requestMs());
        if (!a.granted() || s == null || s.generation() != generation || s.epoch() != a.epoch() || !peers.contains(peer)) {
            return;
        }
        Long had = granted.get(peer);
        if (had == null || s.sentNanos() - had > 0) {
            granted.put(peer, s.sentNanos());
        }
    }

    /** The send time of the newest request every peer granted under generation {@code gen}, or {@link #NONE}. */
    synchronized long grantedSince(long gen) {
        if (gen != generation || peers.isEmpty() || granted.size() < peers.size()) {
            return NONE;
        }
        long min = NONE;
        for (long t : granted.values()) {
            if (min == NONE || t - min < 0) {
                min = t;
            }
        }
        return min;
    }
}
