package dev.understudy.coordination;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.understudy.common.Json;
import dev.understudy.node.Evidence;
import dev.understudy.node.NodeException;
import dev.understudy.node.NodeStatus;
import dev.understudy.node.NodeUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * Two agents running the real {@link Decide#decide} in virtual time, against a simulated etcd (linearizable, each call
 * lost at random), a simulated chain that records who signed each round, each host's node, lease keeper and hang
 * watchdog, and clocks that drift and jump. Faults and ticks come from a script; every round is checked for two
 * signers (S1) and for a signature at or below a released round after its release (R1).
 *
 * <p>Each host's wall clock may be stepped either way (its node signs by it, so the previous holder's last round can be
 * ahead of the new holder's clock: the activation floor must cover it) and its monotonic clock drifts and jumps ahead.
 * Timing as on the lab: 1 s rounds, lease 3 s, fence after 1.7 s, watchdog 0.7 s, three rounds without a vote; the
 * new holder joins the round in progress when it began the join margin after it first saw the role free (-1: never;
 * a margin below the clocks' difference is unsafe, and {@code DecideProperties} shows it caught).
 */
final class ProtocolSim {
    static final long ROUND = 1000;
    static final long TTL = 3000;
    static final long FENCE = 1700;
    static final long WATCHDOG = 700;
    static final long QUANTUM = 50;
    static final int K = 3;
    static final long MS = 1_000_000;

    /** One step of a script. */
    enum Kind { TICK, ADVANCE, HANG, THAW, NODE_HANG, NODE_THAW, CUT_ETCD, HEAL_ETCD, CUT_CHAIN, HEAL_CHAIN, POWER_OFF, BOOT,
        CLOCK_JUMP, WALL_JUMP, SWITCHOVER, DEMOTE }

    /** Changes a decision before it is acted on: how a test plays an older rule. */
    interface Tamper {
        Decide.Decision apply(String self, Snapshot snapshot, Decide.Decision decision);
    }

    record Event(Kind kind, int host, int amount) {
        @Override
        public String toString() {
            return kind + (kind == Kind.ADVANCE || kind == Kind.CLOCK_JUMP || kind == Kind.WALL_JUMP ? "(" + host + "," + amount + ")"
                    : "(" + host + ")");
        }
    }

    private final boolean watchdog;
    private final double loss;
    private final Random random;
    private final Tamper tamper;
    private final long joinMargin;
    private boolean nodeUnit = true;
    final List<String> violations = new ArrayList<>();
    int signedRounds;
    int takeovers;
    /** Takeovers whose node was allowed the round in progress (the join rule let it in). */
    int joins;

    // etcd
    private long rev = 10;
    private Snapshot.Leader leader;
    private long latestEpoch;
    private String latestHolder;
    private Snapshot.Released released;
    private Snapshot.Request switchover;
    private Snapshot.Request demote;
    private final Map<Long, Long> leases = new HashMap<>();
    private final Map<String, JsonNode> statuses = new TreeMap<>();
    private final Map<String, Long> statusExpiry = new HashMap<>();
    private long nextLease = 1000;

    // chain
    private final Map<Long, Integer> signers = new HashMap<>();
    private long lastVote = -1;
    private long maxReleased = -1;
    private long now;

    final Host[] hosts;

    /** A host: its agent (decisions, the lease keeper's state, its watchdog), its node, and its faults. */
    final class Host {
        final int index;
        final Decide.Policy policy;
        boolean hung;
        /** The node is frozen: it neither signs nor answers (a kill ends it). */
        boolean nodeHung;
        boolean down;
        boolean etcdCut;
        boolean chainCut;
        long queued = -1;
        double rate;
        long monoOffset;
        long wallOffset;
        // agent
        AgentMemory memory;
        boolean holding;
        long epoch;
        long lease;
        long generation;
        long cooldownUntil = Role.NO_COOLDOWN;
        long lastAck;
        long lastFeed;
        boolean armed;
        // node
        boolean on;
        long floor;
        long lastSigned = -1;
        long lastLocalRound;

        Host(int index, Decide.Policy policy, double rate) {
            this.index = index;
            this.policy = policy;
            this.rate = rate;
            this.memory = AgentMemory.start(mono());
        }

        long mono() {
            return monoOffset + (long) (now * rate) * MS;
        }

        long wall() {
            return now + wallOffset;
        }

        /** The round by this host's clock: its node signs by it (a clock stepped ahead signs a round early). */
        long localRound() {
            return Math.max(0, wall()) / ROUND;
        }

        Role role() {
            return new Role(holding, holding ? epoch : 0, holding ? lease : 0, generation, cooldownUntil);
        }

        boolean live() {
            return !hung && !down;
        }
    }

    ProtocolSim(boolean watchdog, double loss, long seed, Tamper tamper, long joinMargin) {
        this.joinMargin = joinMargin;
        this.watchdog = watchdog;
        this.loss = loss;
        this.random = new Random(seed);
        this.tamper = tamper;
        Decide.Policy main = new Decide.Policy("main", true, "main", K, 3, 5000 * MS, 0, 0, 5000 * MS, joinMargin);
        Decide.Policy backup = new Decide.Policy("backup", false, "main", K, 3, 5000 * MS, 0, 0, 5000 * MS, joinMargin);
        hosts = new Host[] {new Host(0, main, 1 + (random.nextDouble() - 0.5) * 2e-4), new Host(1, backup, 1 + (random.nextDouble() - 0.5) * 2e-4)};
        now = 10 * ROUND;
        // the main holds the role and signs, as provisioning leaves it
        Host m = hosts[0];
        long l = nextLease++;
        leases.put(l, now + TTL);
        leader = new Snapshot.Leader("main", ++rev, l);
        latestEpoch = rev;
        latestHolder = "main";
        take(m, rev, l, now / ROUND + 1, -1);
    }

    String name(Host h) {
        return h.policy.self();
    }

    long round() {
        return now / ROUND;
    }

    private boolean lost() {
        return random.nextDouble() < loss;
    }

    void run(List<Event> script) {
        for (Event e : script) {
            Host h = hosts[e.host() % 2];
            switch (e.kind()) {
                case TICK -> tick(h);
                case ADVANCE -> advance(e.amount());
                case HANG -> h.hung = !h.down;
                case THAW -> h.hung = false;
                case NODE_HANG -> h.nodeHung = !h.down;
                case NODE_THAW -> h.nodeHung = false;
                case CUT_ETCD -> h.etcdCut = true;
                case HEAL_ETCD -> h.etcdCut = false;
                case CUT_CHAIN -> h.chainCut = true;
                case HEAL_CHAIN -> heal(h);
                case POWER_OFF -> powerOff(h);
                case BOOT -> boot(h);
                case CLOCK_JUMP -> h.monoOffset += e.amount() * MS;        // a monotonic clock only jumps forward
                case WALL_JUMP -> h.wallOffset = e.amount() - 2500;         // the wall clock stepped either way
                case SWITCHOVER -> switchover = new Snapshot.Request(name(hosts[1 - h.index]), latestEpoch, "");
                case DEMOTE -> demote = leader == null ? null : new Snapshot.Request("", leader.epoch(), "test");
            }
        }
    }

    // ---------------------------------------------------------------- an agent's tick: read, decide, act

    private void tick(Host h) {
        if (!h.live() || h.etcdCut || lost()) {
            return;
        }
        Snapshot s = new Snapshot(rev, leader, latestEpoch, latestHolder, released, switchover, demote, Map.copyOf(statuses), -1,
                List.of());
        Decide.Clock clock = new Decide.Clock(h.mono(), h.wall());
        Decide.Decision d = tamper.apply(name(h), s, Decide.decide(h.policy, s, h.role(), view(h), h.memory, clock));
        h.memory = d.memory();
        for (Action a : d.actions()) {
            act(h, a);
        }
        publish(h);
    }

    private void publish(Host h) {
        ObjectNode st = Json.object().put("role", h.holding ? "holder" : "standby").put("updatedAtMs", h.wall())
                .put("synced", !h.chainCut).put("cooldown", h.role().coolingDown(h.mono()));
        st.putObject("keys").put("current", true).put("next", true);
        statuses.put(name(h), st);
        statusExpiry.put(name(h), now + 2 * TTL);
    }

    private NodeView view(Host h) {
        long r = round();
        NodeStatus st = new NodeStatus(!h.chainCut, h.chainCut ? 5 : 0, h.localRound(), 5, 6, h.on, "", h.lastSigned);
        boolean signing = h.on && h.lastSigned >= r - 1;
        Evidence ev = new Evidence(lastVote >= r - K, lastVote, lastVote, r, K, true, true, 1, 0, 0, ROUND);
        boolean answers = !h.nodeHung;
        return new NodeView() {
            @Override
            public NodeStatus status() throws NodeException {
                if (!answers) {
                    throw NodeException.unavailable("timed out", null);
                }
                return st;
            }

            @Override
            public boolean signing() throws NodeException {
                if (!answers) {
                    throw NodeException.unavailable("timed out", null);
                }
                return signing;
            }

            @Override
            public Evidence evidence() {
                return ev;
            }

            @Override
            public Map<Long, List<String>> signingIds(List<Long> periods) {
                return Map.of(5L, List.of("K5"), 6L, List.of("K6"));
            }

            @Override
            public NodeUnit.State unitState() {
                return NodeUnit.State.RUNNING;
            }
        };
    }

    private void act(Host h, Action a) {
        if (a instanceof Action.Fence) {
            fence(h);
        } else if (a instanceof Action.StepDown sd) {
            stepDown(h, sd.hung());
        } else if (a instanceof Action.HandOver) {
            stepDown(h, false);
        } else if (a instanceof Action.RefuseSwitchover) {
            switchover = null;
        } else if (a instanceof Action.Reactivate) {
            h.on = true;
        } else if (a instanceof Action.QuietNode) {
            h.on = false;
        } else if (a instanceof Action.Adopt ad) {
            Long exp = leases.get(ad.leader().lease());
            if (exp != null && !lost()) {
                leases.put(ad.leader().lease(), now + TTL);
                take(h, ad.leader().epoch(), ad.leader().lease(), round() + 1, -1);
            }
        } else if (a instanceof Action.Acquire ac) {
            if (lost() || leader != null || latestEpoch != ac.expectEpochRev()) {
                return;
            }
            long l = nextLease++;
            leases.put(l, now + TTL);
            leader = new Snapshot.Leader(name(h), ++rev, l);
            latestEpoch = rev;
            latestHolder = name(h);
            takeovers++;
            take(h, rev, l, ac.notBeforeRound(), ac.joinAfterMs());
        }
    }

    /**
     * The node switched on: never before {@code notBefore}, and not in the round in progress by its clock unless that
     * round began at or after {@code joinAfter} (-1: never); a join time later than that never delays the next round.
     */
    private void take(Host h, long epoch, long lease, long notBefore, long joinAfter) {
        h.holding = true;
        h.epoch = epoch;
        h.lease = lease;
        h.generation++;
        h.lastAck = h.mono();
        h.lastFeed = now;
        h.armed = watchdog;
        h.on = true;
        long next = h.localRound() + 1;
        h.floor = Math.max(notBefore, joinAfter >= 0 ? Math.min(next, Math.floorDiv(joinAfter + ROUND - 1, ROUND)) : next);
        if (h.floor < next) {
            joins++;
        }
        h.memory = h.memory.activated(h.mono());
    }

    private void fence(Host h) {
        if (h.holding) {
            h.holding = false;
            h.generation++;
            if (stopNode(h)) {
                h.armed = false;
            }
            h.cooldownUntil = h.mono() + 2 * TTL * MS;
        }
    }

    /**
     * Switches the node off and confirms it: deactivated, or — when it does not answer — killed through its unit. With
     * no unit a hung node cannot be confirmed stopped: it stays on (and signs again when it thaws), the watchdog
     * stays armed. True when stopped.
     */
    private boolean stopNode(Host h) {
        if (h.nodeHung && !nodeUnit) {
            return false;
        }
        h.on = false;
        h.nodeHung = false;
        return true;
    }

    /**
     * Node off and confirmed (a hung node killed), then one transaction deletes the leader key with the release record
     * — none when the node did not answer or was killed ({@code hung}): it cannot say its last round; the lease goes.
     * A node that could not be confirmed stopped keeps the key until its lease expires.
     */
    private void stepDown(Host h, boolean hung) {
        if (!h.holding) {
            return;
        }
        boolean answered = !h.nodeHung;
        h.holding = false;
        h.generation++;
        boolean stopped = stopNode(h);
        if (stopped) {
            h.armed = false;
        }
        h.cooldownUntil = h.mono() + 2 * TTL * MS;
        if (!stopped || h.etcdCut || lost() || leader == null || leader.epoch() != h.epoch) {
            return; // no record: the lease expires
        }
        long last = Math.max(h.lastSigned, h.floor - 1);
        leader = null;
        if (answered && !hung) {
            released = new Snapshot.Released(h.epoch, name(h), last, h.wall(), true);
            maxReleased = Math.max(maxReleased, last);
        }
        rev++;
        leases.remove(h.lease);
    }

    /** The hosts run without {@code node.unit}: a hung node cannot be killed. */
    ProtocolSim withoutNodeUnit() {
        nodeUnit = false;
        return this;
    }

    // ---------------------------------------------------------------- faults

    private void heal(Host h) {
        h.chainCut = false;
        if (h.queued >= 0) {
            lastVote = Math.max(lastVote, h.queued);
            h.queued = -1;
        }
    }

    private void powerOff(Host h) {
        h.down = true;
        h.hung = false;
        h.nodeHung = false;
        h.holding = false;
        h.generation++;
        h.on = false;
        h.armed = false;
        statuses.remove(name(h));
    }

    private void boot(Host h) {
        if (h.down) {
            h.down = false;
            h.memory = AgentMemory.start(h.mono());
            h.cooldownUntil = Role.NO_COOLDOWN;
        }
    }

    // ---------------------------------------------------------------- time

    private void advance(int quanta) {
        for (int q = 0; q < quanta; q++) {
            now += QUANTUM;
            leases.entrySet().removeIf(e -> e.getValue() <= now);
            if (leader != null && !leases.containsKey(leader.lease())) {
                leader = null; // the lease expired: no record
            }
            statusExpiry.forEach((k, v) -> {
                if (v <= now) {
                    statuses.remove(k);
                }
            });
            for (Host h : hosts) {
                keeper(h);
            }
            for (Host h : hosts) {
                long r = h.localRound();
                if (r > h.lastLocalRound) {
                    h.lastLocalRound = r;
                    sign(h, r);
                }
            }
        }
    }

    /** The lease keeper on its own thread: renews (each call may be lost), fences at the window, feeds the watchdog. */
    private void keeper(Host h) {
        if (h.live() && h.holding) {
            if (!h.etcdCut && leases.containsKey(h.lease) && !lost()) {
                leases.put(h.lease, now + TTL);
                h.lastAck = h.mono();
            }
            if (h.mono() - h.lastAck >= FENCE * MS) {
                fence(h);
            } else {
                h.lastFeed = now;
            }
        }
        if (h.armed && now - h.lastFeed >= WATCHDOG) {
            // the hang watchdog resets the host: the node stops, the agent starts again as standby
            h.hung = false;
            h.nodeHung = false;
            h.holding = false;
            h.generation++;
            h.on = false;
            h.armed = false;
            h.memory = AgentMemory.start(h.mono());
        }
    }

    /**
     * A node signs each round as it starts by its own clock (a clock stepped ahead signs early; one stepped back does not
     * sign a round again); a node cut from the chain queues its vote.
     */
    private void sign(Host h, long r) {
        if (!h.on || h.down || h.nodeHung || r < h.floor || r <= h.lastSigned) {
            return;
        }
        int other = signers.getOrDefault(r, 0) & ~(1 << h.index);
        if (other != 0) {
            violations.add("S1: round " + r + " signed by both hosts");
        }
        if (r <= maxReleased) {
            violations.add("R1: round " + r + " signed by " + name(h) + " after a release of round " + maxReleased);
        }
        signers.merge(r, 1 << h.index, (x, y) -> x | y);
        h.lastSigned = r;
        signedRounds++;
        if (h.chainCut) {
            h.queued = r;
        } else {
            lastVote = Math.max(lastVote, r);
        }
    }
}
