package dev.understudy.simnet.chain;

/**
 * The chain's fixed timetable. Round r runs from genesis + r*roundMs; period p holds rounds [p*P, (p+1)*P).
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

    public Schedule(long genesisMillis, long roundMs, int periodRounds, int electionRounds, int lateHorizonRounds) {
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
        return (millis - genesisMillis) / roundMs;
    }

    public long roundStartMillis(long round) {
        return genesisMillis + round * roundMs;
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
