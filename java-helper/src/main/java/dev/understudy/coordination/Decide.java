package dev.understudy.coordination;

import com.fasterxml.jackson.databind.JsonNode;
import dev.understudy.cli.BadInputException;
import dev.understudy.config.Config;
import dev.understudy.config.CoordinationSettings;
import dev.understudy.config.HostEntry;
import dev.understudy.node.Evidence;
import dev.understudy.node.NodeAdapter;
import dev.understudy.node.NodeException;
import dev.understudy.node.NodeStatus;
import dev.understudy.node.NodeUnit;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The agent's decisions: from one {@link Snapshot} of etcd, this host's {@link Role}, the node's answers
 * ({@link NodeView}), what it remembers ({@link AgentMemory}) and the clock, the actions to take now and the memory for
 * the next tick. No I/O happens here beyond the node's answers the view gives, so every rule is tested directly
 * (DecideTest, DecideProperties) and the Promela model (docs/model/agent.pml) describes the same rules.
 *
 * <p>The rules, as docs/coordination.md states them:
 * <ul>
 * <li>A holder whose leader key is gone or names another epoch fences (the lease keeper also fences on its own when
 * no keep-alive was acknowledged within the fence window).</li>
 * <li>A holder steps down (with a release record) when a demote names its epoch, when a switchover names its epoch
 * and the target is ready and publishes every key id the holder's node signs or bid with (until then the holder
 * pushes and the request waits), and after {@code unhealthy_checks} failed health checks.</li>
 * <li>A standby takes an absent role only when its node is synced, it holds keys for the current period (while the
 * validator is in the set), it is not cooling down, a backup is not deferring to a ready main, and either the holder
 * released the newest epoch with a proof ({@link Snapshot#provenRelease()}) or the chain shows no vote of the key
 * for {@code takeover_rounds} rounds. A switchover invitation alone never skips the evidence wait.</li>
 * <li>The new holder's node never signs a round at or before the previous holder's last (release record or chain), and
 * joins the round in progress only when it began at least {@code join_round_margin_ms} after this host first saw the
 * role free (and no newer epoch granted since): every earlier holder had stopped signing by then, on any clock within
 * that margin of this host's.</li>
 * </ul>
 */
public final class Decide {
    /** A waiting standby says why at most this often. */
    static final long WAIT_LOG_NANOS = Duration.ofSeconds(5).toNanos();
    /** While a switchover waits for the target to receive the holder's keys, the holder pushes at most this often. */
    static final long HANDOVER_PUSH_NANOS = Duration.ofSeconds(2).toNanos();
    /** A standby whose node does not answer asks systemd about the node's unit at most this often. */
    static final long UNIT_LOOK_NANOS = Duration.ofSeconds(2).toNanos();
    /** A standby starts (or restarts) its node at most this often. */
    static final long START_SPACING_NANOS = Duration.ofSeconds(20).toNanos();
    /** A standby's node that runs but has not answered for this long is killed and started again. */
    static final long STANDBY_HUNG_NANOS = Duration.ofSeconds(120).toNanos();
    /** A main's status younger than this (ms) counts as live when a backup defers to it. */
    static final long MAIN_STATUS_FRESH_MS = 3000;

    private Decide() {
    }

    /**
     * The settings the rules use.
     *
     * @param joinMarginMs how long after this host first saw the role free a round in progress must have begun for the
     *     new holder's node to join it (the bound on the hosts' clock difference); -1: never join, wait for the next round
     */
    public record Policy(String self, boolean isMain, String mainHost, int takeoverRounds, int unhealthyChecks,
            long activationGraceNanos, long standbyDelayNanos, long checkNanos, long pushNanos, long joinMarginMs) {

        public static Policy of(Config config, NodeAdapter node) throws BadInputException {
            CoordinationSettings cs = config.coordination();
            long interval = node.checkInterval().toNanos();
            return new Policy(config.host(), config.self().role() == HostEntry.Role.MAIN, config.mainHost(), cs.takeoverRounds(),
                    cs.unhealthyChecks(), cs.activationGrace().toNanos(), cs.standbyDelay().toNanos(),
                    interval > cs.pollInterval().toNanos() ? interval : 0, cs.pushInterval().toNanos(), cs.joinRoundMarginMs());
        }
    }

    /** The monotonic clock (all durations) and the wall clock (status ages, reports). */
    public record Clock(long nanos, long wallMs) {
        public static Clock now() {
            return new Clock(System.nanoTime(), System.currentTimeMillis());
        }
    }

    /** The actions of one tick, in order, and the memory for the next. */
    public record Decision(AgentMemory memory, List<Action> actions) {
        public Decision {
            actions = List.copyOf(actions);
        }
    }

    public static Decision decide(Policy p, Snapshot s, Role role, NodeView node, AgentMemory m, Clock now) {
        List<Action> out = new ArrayList<>();
        AgentMemory next = role.holding() ? holder(p, s, role, node, m, now, out) : standby(p, s, role, node, m, now, out);
        return new Decision(next, out);
    }

    // ---------------------------------------------------------------- holder

    private static AgentMemory holder(Policy p, Snapshot s, Role role, NodeView node, AgentMemory m, Clock now, List<Action> out) {
        Snapshot.Leader l = s.leader();
        if (l == null) {
            out.add(new Action.Fence("the leader key is gone (lease expired or deleted)"));
            return m;
        }
        if (l.epoch() != role.epoch()) {
            out.add(new Action.Fence("the leader key now has epoch " + l.epoch() + " (held by " + l.holder() + ")"));
            return m;
        }
        m = m.sawLeader(l.holder(), l.epoch());
        if (s.demote() != null && s.demote().epoch() == role.epoch()) {
            out.add(new Action.StepDown("demote requested: " + s.demote().reason(), false));
            return m;
        }
        Snapshot.Request sw = s.switchover();
        if (sw != null && sw.epoch() == role.epoch() && !sw.to().equals(p.self())) {
            JsonNode target = s.status(sw.to());
            String why = Switchover.nodeNotReady(sw.to(), target, now.wallMs());
            if (why != null) {
                out.add(new Action.RefuseSwitchover(sw.to(), why));
            } else {
                String lacks = targetLacksKeys(sw.to(), target, node);
                if (lacks == null) {
                    out.add(new Action.HandOver(sw.to()));
                    return m;
                }
                // the request stays (its lease and the command's timeout bound the wait) while the keys travel
                m = waitLog(m, now, out, "switchover to " + sw.to() + " waits: " + lacks + "; pushing the keys first");
                if (now.nanos() - (m.nextPushNanos() - p.pushNanos()) >= HANDOVER_PUSH_NANOS) {
                    out.add(new Action.Push());
                    m = m.pushDue(now.nanos() + p.pushNanos());
                }
            }
        }
        if (due(now, m.nextCheckNanos())) {
            m = health(p, s, node, m.checkDue(now.nanos() + p.checkNanos()), now, out);
            if (out.stream().anyMatch(a -> a instanceof Action.StepDown)) {
                return m;
            }
        }
        if (due(now, m.nextPushNanos())) {
            out.add(new Action.Push());
            m = m.pushDue(now.nanos() + p.pushNanos());
        }
        return m;
    }

    /**
     * Null when the switchover target's published key ids include all this holder's node signs (or bid) with for the
     * current and next period; else what it lacks. A node that cannot say counts as a lack: the handover waits.
     */
    private static String targetLacksKeys(String target, JsonNode status, NodeView node) {
        try {
            NodeStatus st = node.status();
            return Switchover.lacksKeys(target, status, node.signingIds(List.of(st.currentPeriod(), st.nextPeriod())));
        } catch (NodeException | IOException | BadInputException e) {
            return "this host cannot list its own keys (" + e.getMessage() + ")";
        }
    }

    /**
     * The holder's periodic check: a node that restarted is switched on again; an unhealthy one counts, and after
     * {@code unhealthy_checks} the holder steps down. A node that stops answering is not waited on again while the
     * chain has no newer vote of the key than when it fell silent, and once the chain shows no vote for
     * {@code takeover_rounds} rounds while the validator is in the current set — what a standby waits for before
     * it takes over — the holder steps down at once and has the node killed: a hung node then costs the rounds a
     * dead one costs. A newer vote means it may answer again, so it is asked again.
     */
    private static AgentMemory health(Policy p, Snapshot s, NodeView node, AgentMemory m, Clock now, List<Action> out) {
        boolean grace = now.nanos() - m.activatedAtNanos() < p.activationGraceNanos();
        AgentMemory.NodeHealth h = m.node();
        if (h.silent() && !grace) {
            Evidence ev = chainView(node);
            if (silentOnChain(ev)) {
                return hungStepDown(m, ev, out);
            }
            if (ev != null && ev.inCurrentSet() && ev.lastVoteRound() <= h.silentVote()) {
                return m;
            }
        }
        String problem = null;
        try {
            NodeStatus st = node.status();
            m = m.node(h.answered());
            if (!st.validationEnabled()) {
                out.add(new Action.Log(Action.Level.WARN,
                        "the node is not validating although this host holds the role (restarted?); activating it"));
                out.add(new Action.Reactivate());
                return m;
            }
            if (grace) {
                return m;
            }
            String stall = st.synced() ? null : chainStalls(p, s, st, now);
            if (stall != null) {
                m = waitLog(m, now, out, "the node reports itself out of sync, but " + stall
                        + ": the chain stalls, not this node; not counted against it");
            } else if (!st.synced()) {
                problem = "node not synced (" + st.lagRounds() + " rounds behind)";
            } else if (!node.signing() && node.evidence().inCurrentSet()) {
                problem = "node not signing although the validator is in the current set";
            }
        } catch (NodeException e) {
            if (grace) {
                return m;
            }
            Evidence ev = chainView(node);
            m = m.node(h.silentAt(now.nanos(), ev == null ? AgentMemory.NodeHealth.NO_VOTE : ev.lastVoteRound()));
            if (silentOnChain(ev)) {
                return hungStepDown(m, ev, out);
            }
            problem = "node unreachable: " + e.getMessage();
        }
        if (problem == null) {
            return m.unhealthy(0);
        }
        int n = m.unhealthy() + 1;
        out.add(new Action.Log(Action.Level.WARN, "holder unhealthy (" + n + " of " + p.unhealthyChecks() + " checks): " + problem));
        if (n >= p.unhealthyChecks()) {
            out.add(new Action.StepDown(problem, m.node().silent()));
            return m.node(m.node().reset());
        }
        return m.unhealthy(n);
    }

    /**
     * A node that calls itself out of sync (adapters judge that by the age of the last block, on the wall clock) is not
     * behind when another validator host's fresh status — at most {@link #MAIN_STATUS_FRESH_MS} old — is out of sync
     * too, at the same height or lower: no node gets blocks, the chain itself stalls (more than a third of the
     * validators offline, a halt). Stepping down then would withdraw a healthy signer exactly when the network
     * needs it back, and no standby could take over anyway. Null when not so; otherwise what shows it.
     */
    static String chainStalls(Policy p, Snapshot s, NodeStatus st, Clock now) {
        for (Map.Entry<String, JsonNode> e : s.statuses().entrySet()) {
            JsonNode o = e.getValue();
            if (e.getKey().equals(p.self()) || now.wallMs() - o.path("updatedAtMs").asLong() >= MAIN_STATUS_FRESH_MS
                    || !o.has("round") || o.path("synced").asBoolean(true) || o.has("nodeError")) {
                continue;
            }
            if (o.path("round").asLong() <= st.round()) {
                return e.getKey() + "'s node is out of sync as well, at height " + o.path("round").asLong() + " (this node: "
                        + st.round() + ")";
            }
        }
        return null;
    }

    /** The chain's view of the key, or null when the chain cannot say (the node's answers decide alone then). */
    private static Evidence chainView(NodeView node) {
        try {
            return node.evidence();
        } catch (NodeException e) {
            return null;
        }
    }

    /** The validator is in the current set and the chain has no vote of its key for takeover_rounds rounds. */
    private static boolean silentOnChain(Evidence ev) {
        return ev != null && ev.inCurrentSet() && !ev.signedRecently();
    }

    private static AgentMemory hungStepDown(AgentMemory m, Evidence ev, List<Action> out) {
        String why = "the node does not answer and the chain has no vote of the key since round " + ev.lastVoteRound()
                + " (chain at " + ev.chainRound() + ")";
        out.add(new Action.Log(Action.Level.WARN, "holder unhealthy: " + why + "; stepping down and killing the node"));
        out.add(new Action.StepDown(why, true));
        return m.node(m.node().reset());
    }

    // ---------------------------------------------------------------- standby

    private static AgentMemory standby(Policy p, Snapshot s, Role role, NodeView node, AgentMemory m, Clock now, List<Action> out) {
        if (due(now, m.nextCheckNanos())) {
            m = m.checkDue(now.nanos() + p.checkNanos());
            try {
                boolean validating = node.status().validationEnabled();
                m = m.node(m.node().answered());
                if (validating) {
                    Evidence running = runningValidator(p, s, role, node, m, now);
                    if (running != null) {
                        out.add(new Action.Log(Action.Level.WARN, "no host has held the signing role yet and this main's node"
                                + " already signs (the chain has its vote of round " + running.lastVoteRound()
                                + "): taking the role without stopping it"));
                        out.add(new Action.Acquire("onboard", false, s.latestEpoch(), -1, -1, null, 0, running));
                        return m;
                    }
                    out.add(new Action.Log(Action.Level.ERROR, "the node was validating while this host does not hold the role;"
                            + " switching it off"));
                    out.add(new Action.QuietNode());
                }
            } catch (NodeException e) {
                out.add(new Action.Note("node: " + e.getMessage()));
                m = revive(node, m.node(m.node().silentAt(now.nanos(), AgentMemory.NodeHealth.NO_VOTE)), now, out);
            }
        }
        Snapshot.Leader l = s.leader();
        if (l != null) {
            if (l.holder().equals(p.self())) {
                if (!role.coolingDown(now.nanos())) {
                    out.add(new Action.Adopt(l));
                }
                return m;
            }
            if (!l.holder().equals(m.lastHolder()) || l.epoch() != m.lastEpoch()) {
                out.add(new Action.Log(Action.Level.INFO, "standby; the role is held by " + l.holder() + " (epoch " + l.epoch() + ")"));
            }
            return m.sawLeader(l.holder(), l.epoch());
        }
        boolean proven = s.provenRelease();
        if (!m.leaderAbsent() || m.absentEpoch() != s.latestEpoch()) {
            m = m.absentSince(now.nanos(), now.wallMs(), s.latestEpoch());
            out.add(new Action.Log(Action.Level.WARN, "the leader key is absent (last held by " + m.lastHolder() + ", epoch "
                    + m.lastEpoch() + ")" + (proven ? "; " + s.released().host() + " released epoch " + s.released().epoch()
                    + " after its node's last signed round " + s.released().lastSignedRound() : "")));
        }
        long latest = s.latestEpoch() != 0 ? s.latestEpoch() : m.lastEpoch();
        Snapshot.Request sw = s.switchover();
        boolean invited = sw != null && sw.to().equals(p.self()) && latest != 0 && sw.epoch() == latest;
        if (!invited) {
            if (role.coolingDown(now.nanos())) {
                return m;
            }
            if (!p.isMain() && now.nanos() - m.absentSinceNanos() < p.standbyDelayNanos()) {
                return m;
            }
        }
        String previous = m.lastHolder() != null ? m.lastHolder() : s.latestHolder();
        Readiness r = readiness(p, s, node, invited, proven, previous, latest, now);
        if (r.why() == null && !invited && !p.isMain() && mainHasPriority(p, s, r.evidence().inCurrentSet(), now)) {
            return waitLog(m, now, out, "the role is absent; leaving it to the main, which is "
                    + (r.evidence().inCurrentSet() ? "ready to sign" : "alive (the validator is not in the current set yet)"));
        }
        if (r.why() != null) {
            return waitLog(m, now, out, "not taking the role yet: " + r.why());
        }
        long floor = r.evidence().lastVoteRound();
        if (proven) {
            floor = Math.max(floor, s.released().lastSignedRound());
        }
        String kind = invited ? "switchover" : previous == null ? "bootstrap" : previous.equals(p.self()) ? "retake" : "failover";
        long joinAfter = p.joinMarginMs() >= 0 ? m.absentSinceMs() + p.joinMarginMs() : -1;
        out.add(new Action.Acquire(kind, proven, s.latestEpoch(), floor + 1, joinAfter, previous, latest, r.evidence()));
        return m;
    }

    /**
     * Installing Understudy onto a validator that already signs: on the main, while no host has ever held the role (no
     * leader key, no epoch ever granted, no release record, none seen by this agent), a node that validates, is
     * synced and signs, with the chain showing the key's votes in the current set, is the validator itself — switching
     * it off to take the role K rounds later would be an outage of Understudy's own making. The role is taken over it
     * instead (the create-if-absent transaction, as any takeover). The chain's evidence, or null when this is not that
     * case or anything cannot tell.
     */
    private static Evidence runningValidator(Policy p, Snapshot s, Role role, NodeView node, AgentMemory m, Clock now) {
        if (!p.isMain() || s.leader() != null || s.latestEpoch() != 0 || s.released() != null || m.lastEpoch() != 0
                || role.coolingDown(now.nanos())) {
            return null;
        }
        try {
            if (!node.status().synced() || !node.signing()) {
                return null;
            }
            Evidence ev = node.evidence();
            return ev.inCurrentSet() && ev.signedRecently() ? ev : null;
        } catch (NodeException e) {
            return null;
        }
    }

    /**
     * A standby whose node does not answer brings it back by itself, looking at its unit at most every
     * {@link #UNIT_LOOK_NANOS} and starting it at most every {@link #START_SPACING_NANOS}: a
     * unit that is stopped or failed (fenced, killed, crashed past its restart limit, stopped by hand) is started —
     * its guard makes it start without signing — and one that runs but has not answered for
     * {@link #STANDBY_HUNG_NANOS} is killed and started. A unit that is starting or stopping is left to finish.
     */
    private static AgentMemory revive(NodeView node, AgentMemory m, Clock now, List<Action> out) {
        AgentMemory.NodeHealth h = m.node();
        if (h.nextUnitLookNanos() != AgentMemory.NEVER && !due(now, h.nextUnitLookNanos())) {
            return m;
        }
        NodeUnit.State u = node.unitState();
        if (u.down()) {
            out.add(new Action.StartNode("its unit is " + u.name().toLowerCase()));
        } else if (u == NodeUnit.State.RUNNING && now.nanos() - h.silentSinceNanos() >= STANDBY_HUNG_NANOS) {
            out.add(new Action.RestartNode("it has not answered for " + (now.nanos() - h.silentSinceNanos()) / 1_000_000_000L + " s"));
        } else {
            return m.node(h.lookAt(now.nanos() + UNIT_LOOK_NANOS));
        }
        return m.node(h.started(now.nanos(), START_SPACING_NANOS));
    }

    /** Why this host may not take the role now (null: it may), with the chain's evidence it looked at. */
    private record Readiness(String why, Evidence evidence) {
    }

    /**
     * Keys for the current period are needed only while the validator is in the current set: outside it there is
     * nothing to sign, and the holder's duty is the election bid that brings it (back) in.
     */
    private static Readiness readiness(Policy p, Snapshot s, NodeView node, boolean invited, boolean proven, String previous,
            long latest, Clock now) {
        try {
            NodeStatus st = node.status();
            if (!st.synced()) {
                return new Readiness("own node not synced (" + st.lagRounds() + " rounds behind)", null);
            }
            Evidence ev = node.evidence();
            Map<Long, List<String>> mine = node.signingIds(List.of(st.currentPeriod(), st.nextPeriod()));
            if (ev.inCurrentSet() && mine.getOrDefault(st.currentPeriod(), List.of()).isEmpty()) {
                return new Readiness("no verified keys for the current period " + st.currentPeriod(), ev);
            }
            if (invited) {
                // the holder is alive and pushes what it signs (and bid) with: take over with nothing older
                JsonNode holder = previous == null || previous.equals(p.self()) ? null : s.status(previous);
                for (long period : List.of(st.currentPeriod(), st.nextPeriod())) {
                    String behind = Switchover.keysBehind(previous, holder, period, mine.getOrDefault(period, List.of()), now.wallMs());
                    if (behind != null) {
                        return new Readiness(behind, ev);
                    }
                }
            }
            if (!proven && ev.signedRecently()) {
                return new Readiness("the validator key voted at round " + ev.lastVoteRound() + " (chain at " + ev.chainRound()
                        + "); waiting for " + p.takeoverRounds() + " rounds without a vote"
                        + (invited ? " (invited by a switchover, but no release record of epoch " + latest + ")" : ""), ev);
            }
            return new Readiness(null, ev);
        } catch (NodeException | IOException | BadInputException e) {
            return new Readiness("cannot tell (" + e.getMessage() + "); not taking the role in doubt", null);
        }
    }

    /**
     * The main is preferred. While the validator is outside the current set (a new deployment) there is nothing to
     * sign and only the main holds the wallet to bid, so a backup leaves the role to any main whose agent publishes a
     * status as a standby not cooling down, however old (its key lives only while the main's agent renews it). Inside
     * the set it leaves the role only to a main that is ready to sign and live: a status at most 3 s old, not
     * cooling down, synced, with keys for the current period and none behind the last holder's (a main waiting for a
     * newer bundle would not take the role, and the two would wait on each other); a main that is down, cut off or
     * frozen stops reporting, so this costs a failover nothing beyond the lease.
     */
    static boolean mainHasPriority(Policy p, Snapshot s, boolean validatorInSet, Clock now) {
        JsonNode st = s.status(p.mainHost());
        if (st == null) {
            return false;
        }
        boolean fresh = now.wallMs() - st.path("updatedAtMs").asLong() < MAIN_STATUS_FRESH_MS || !validatorInSet;
        boolean live = fresh && !st.path("cooldown").asBoolean(false) && "standby".equals(st.path("role").asText());
        JsonNode keys = st.path("keys");
        boolean ready = st.path("synced").asBoolean(false) && !st.has("nodeError") && keys.path("current").asBoolean(false)
                && !keys.has("currentBehind") && !keys.has("nextBehind");
        return live && (!validatorInSet || ready);
    }

    private static AgentMemory waitLog(AgentMemory m, Clock now, List<Action> out, String message) {
        if (!due(now, m.nextWaitLogNanos())) {
            return m;
        }
        out.add(new Action.Log(Action.Level.INFO, message));
        return m.waitLogDue(now.nanos() + WAIT_LOG_NANOS);
    }

    private static boolean due(Clock now, long at) {
        return now.nanos() - at >= 0;
    }
}
