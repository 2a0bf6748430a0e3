package dev.understudy.simnet.chain;

import com.fasterxml.jackson.databind.JsonNode;
import dev.understudy.simnet.BadInputException;
import dev.understudy.simnet.Json;
import java.util.ArrayList;
import java.util.List;

/**
 * The chain's timetable. Round r runs from genesis + r*roundMs of <em>chain time</em>: wall-clock time less every
 * stall before it (a stretch in which the network produced no round, e.g. more than a third of the validators
 * offline); during a stall chain time stands still, so the round in progress lasts the stall longer, and round
 * numbers go on from there after it. Period p holds rounds [p*P, (p+1)*P).
 * The election for period p (p >= 1) is open for the rounds [start(p) - E, start(p) - gap) and its result is
 * published at start(p) - gap, so the next set is known {@code gap} rounds before it starts.
 * Period 0 (genesis) has no election before it: bids for period 0 are accepted during period 0 and
 * take effect from the next round.
 */
public final class Schedule {
    private final long genesisMillis;
    private final long roundMs;
    private final int periodRounds;
    private final int electionRounds;
    private final int lateHorizonRounds;
    /** Sorted, apart from each other. */
    private final List<Stall> stalls;

    /** A stall: no round began in [fromMillis, toMillis) of wall-clock time. */
    public record Stall(long fromMillis, long toMillis) {
        public Stall {
            if (toMillis <= fromMillis) {
                throw new IllegalArgumentException("a stall must end after it starts, got " + fromMillis + " to " + toMillis);
            }
        }

        public long durationMs() {
            return toMillis - fromMillis;
        }
    }

    public Schedule(long genesisMillis, long roundMs, int periodRounds, int electionRounds, int lateHorizonRounds) {
        this(genesisMillis, roundMs, periodRounds, electionRounds, lateHorizonRounds, List.of());
    }

    public Schedule(long genesisMillis, long roundMs, int periodRounds, int electionRounds, int lateHorizonRounds,
            List<Stall> stalls) {
        if (roundMs < 10) {
            throw new IllegalArgumentException("round-ms must be at least 10, got " + roundMs);
        }
        if (periodRounds < 4) {
            throw new IllegalArgumentException("period-rounds must be at least 4, got " + periodRounds);
        }
        if (electionRounds < 2 || electionRounds >= periodRounds) {
            throw new IllegalArgumentException("election-rounds must be at least 2 and below period-rounds ("
                    + periodRounds + "), got " + electionRounds);
        }
        if (lateHorizonRounds < 1) {
            throw new IllegalArgumentException("late-horizon-rounds must be at least 1, got " + lateHorizonRounds);
        }
        this.genesisMillis = genesisMillis;
        this.roundMs = roundMs;
        this.periodRounds = periodRounds;
        this.electionRounds = electionRounds;
        this.lateHorizonRounds = lateHorizonRounds;
        for (int i = 1; i < stalls.size(); i++) {
            if (stalls.get(i).fromMillis() < stalls.get(i - 1).toMillis()) {
                throw new IllegalArgumentException("stalls must be in order and apart, got " + stalls);
            }
        }
        this.stalls = List.copyOf(stalls);
    }

    /** This timetable with one more stall, which must start after the last one ended and not before genesis. */
    public Schedule withStall(Stall stall) {
        if (stall.fromMillis() < genesisMillis) {
            throw new IllegalArgumentException("a stall cannot start before genesis");
        }
        List<Stall> all = new ArrayList<>(stalls);
        all.add(stall);
        return new Schedule(genesisMillis, roundMs, periodRounds, electionRounds, lateHorizonRounds, all);
    }

    /** This timetable with the stalls {@code other} knows (the chain's, as a node learns them). */
    public Schedule withStalls(List<Stall> other) {
        return other.equals(stalls) ? this
                : new Schedule(genesisMillis, roundMs, periodRounds, electionRounds, lateHorizonRounds, other);
    }

    /** The stalls in a chain status ({@code stalls}: [{fromMillis, toMillis}]; absent: none). */
    public static List<Stall> stallsOf(JsonNode st) throws BadInputException {
        List<Stall> out = new ArrayList<>();
        for (JsonNode x : st.path("stalls")) {
            try {
                out.add(new Stall(Json.integer(x, "fromMillis", "chain stalls"), Json.integer(x, "toMillis", "chain stalls")));
            } catch (IllegalArgumentException e) {
                throw new BadInputException("chain stalls: " + e.getMessage());
            }
        }
        return out;
    }

    public List<Stall> stalls() {
        return stalls;
    }

    /** The stall in progress at this wall-clock time, or null. */
    public Stall stallAt(long millis) {
        for (Stall s : stalls) {
            if (millis >= s.fromMillis() && millis < s.toMillis()) {
                return s;
            }
        }
        return null;
    }

    /** Chain time: {@code millis} less the stalled time before it (standing still during a stall). */
    long chainMillis(long millis) {
        long t = millis;
        for (Stall s : stalls) {
            if (s.fromMillis() >= millis) {
                break;
            }
            t -= Math.min(millis, s.toMillis()) - s.fromMillis();
        }
        return t;
    }

    public long genesisMillis() {
        return genesisMillis;
    }

    public long roundMs() {
        return roundMs;
    }

    public int periodRounds() {
        return periodRounds;
    }

    public int electionRounds() {
        return electionRounds;
    }

    public int lateHorizonRounds() {
        return lateHorizonRounds;
    }

    /** The round running at this wall-clock time; -1 before genesis. */
    public long roundAt(long millis) {
        if (millis < genesisMillis) {
            return -1;
        }
        return (chainMillis(millis) - genesisMillis) / roundMs;
    }

    /** The wall-clock time at which the round starts (a stall that begins before it delays it). */
    public long roundStartMillis(long round) {
        long chainStart = genesisMillis + round * roundMs;
        long shift = 0;
        for (Stall s : stalls) {
            if (s.fromMillis() - shift >= chainStart) {
                break;
            }
            shift += s.durationMs();
        }
        return chainStart + shift;
    }

    public long periodOf(long round) {
        return round < 0 ? -1 : round / periodRounds;
    }

    public long periodStart(long period) {
        return period * periodRounds;
    }

    /** Rounds before a period starts at which its election result is published. */
    public int publishGap() {
        return Math.max(1, electionRounds / 4);
    }

    public long electionOpens(long period) {
        return periodStart(period) - electionRounds;
    }

    public long electionCloses(long period) {
        return periodStart(period) - publishGap();
    }

    /** The period whose election is open at this round, or -1 when none is. */
    public long electionOpenAt(long round) {
        if (round < 0) {
            return -1;
        }
        long next = periodOf(round) + 1;
        return round >= electionOpens(next) && round < electionCloses(next) ? next : -1;
    }

    /** Whether a validator may still join the genesis period (period 0) at this round. */
    public boolean genesisJoinOpen(long round) {
        return round >= 0 && round < electionCloses(1);
    }
}
