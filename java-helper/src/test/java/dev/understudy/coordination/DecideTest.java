package dev.understudy.coordination;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.understudy.common.Json;
import dev.understudy.node.Evidence;
import dev.understudy.node.NodeException;
import dev.understudy.node.NodeStatus;
import dev.understudy.node.NodeUnit;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The agent's rules, decided from fixed inputs: no etcd, no node, no clock but the one given. */
class DecideTest {
    static final long S = 1_000_000_000L;
    static final long T0 = 1_000 * S;
    static final Decide.Policy BACKUP = new Decide.Policy("backup", false, "main", 3, 3, 5 * S, 0, 0, 2 * S, 1000);
    static final Decide.Policy MAIN = new Decide.Policy("main", true, "main", 3, 3, 5 * S, 0, 0, 2 * S, 1000);

    /** A node's fixed answers; a null answer is a node that does not answer. */
    static final class Node implements NodeView {
        NodeStatus status = new NodeStatus(true, 0, 100, 5, 6, false, "", 99);
        Boolean signing = false;
        Evidence evidence = silentSince(90, 100);
        Map<Long, List<String>> ids = new HashMap<>(Map.of(5L, List.of("K5"), 6L, List.of("K6")));
        NodeUnit.State unit = NodeUnit.State.UNKNOWN;
        int asked;
        int statusAsked;
        int unitAsked;

        @Override
        public NodeStatus status() throws NodeException {
            asked++;
            statusAsked++;
            if (status == null) {
                throw NodeException.unavailable("console refused", null);
            }
            return status;
        }

        @Override
        public boolean signing() throws NodeException {
            asked++;
            if (signing == null) {
                throw NodeException.unavailable("console refused", null);
            }
            return signing;
        }

        @Override
        public Evidence evidence() throws NodeException {
            asked++;
            if (evidence == null) {
                throw NodeException.unavailable("chain unreachable", null);
            }
            return evidence;
        }

        @Override
        public Map<Long, List<String>> signingIds(List<Long> periods) {
            asked++;
            return ids;
        }

        @Override
        public NodeUnit.State unitState() {
            unitAsked++;
            return unit;
        }

        Node validating() {
            status = new NodeStatus(true, 0, 100, 5, 6, true, "", 99);
            signing = true;
            evidence = votedAt(100, 100);
            return this;
        }
    }

    /** A holder's node that does not answer, with the chain's view {@code ev} (null: the chain cannot say either). */
    static Node hung(Evidence ev) {
        Node n = new Node().validating();
        n.status = null;
        n.evidence = ev;
        return n;
    }

    /** The chain's view: last vote at {@code lastVote}, chain at {@code chain}, window 3, in the current set. */
    static Evidence silentSince(long lastVote, long chain) {
        return new Evidence(lastVote >= chain - 3, lastVote, lastVote, chain, 3, true, true, 1, 0, 0, 1000);
    }

    static Evidence votedAt(long lastVote, long chain) {
        return silentSince(lastVote, chain);
    }

    static ObjectNode status(String role, long updatedAtMs) {
        ObjectNode s = Json.object().put("role", role).put("updatedAtMs", updatedAtMs).put("synced", true).put("cooldown", false);
        ObjectNode keys = s.putObject("keys").put("current", true).put("next", true);
        keys.putObject("ids").<ObjectNode>set("5", Json.MAPPER.valueToTree(List.of("K5"))).set("6", Json.MAPPER.valueToTree(List.of("K6")));
        return s;
    }

    static Snapshot snap(Snapshot.Leader leader, long latestEpoch, Snapshot.Released released, Snapshot.Request switchover,
            Snapshot.Request demote, Map<String, JsonNode> statuses) {
        return new Snapshot(500, leader, latestEpoch, "main", released, switchover, demote, statuses, -1, List.of());
    }

    static Snapshot held(String holder, long epoch) {
        return snap(new Snapshot.Leader(holder, epoch, 77), epoch, null, null, null, Map.of());
    }

    static Decide.Clock at(long nanos) {
        return new Decide.Clock(nanos, nanos / 1_000_000);
    }

    static Role holding(long epoch) {
        return new Role(true, epoch, 77, 1, Long.MIN_VALUE);
    }

    static AgentMemory seen(String holder, long epoch) {
        return AgentMemory.start(T0 - 60 * S).sawLeader(holder, epoch).activated(T0 - 60 * S);
    }

    static <A extends Action> A only(Class<A> type, Decide.Decision d) {
        List<Action> found = d.actions().stream().filter(type::isInstance).toList();
        assertEquals(1, found.size(), "one " + type.getSimpleName() + " in " + d.actions());
        return type.cast(found.get(0));
    }

    static boolean none(Class<? extends Action> type, Decide.Decision d) {
        return d.actions().stream().noneMatch(type::isInstance);
    }

    // ---------------------------------------------------------------- holder

    @Test
    void aHolderWhoseLeaderKeyIsGoneOrRenamedFences() {
        Node n = new Node().validating();
        Decide.Decision gone = Decide.decide(MAIN, snap(null, 40, null, null, null, Map.of()), holding(40), n, seen("main", 40), at(T0));
        assertTrue(only(Action.Fence.class, gone).reason().contains("gone"));
        Decide.Decision other = Decide.decide(MAIN, held("backup", 41), holding(40), n, seen("main", 40), at(T0));
        assertTrue(only(Action.Fence.class, other).reason().contains("epoch 41"));
        assertEquals(0, n.asked, "fencing asks the node nothing");
    }

    @Test
    void aHolderStepsDownOnADemoteOfItsOwnEpochOnly() {
        Node n = new Node().validating();
        Snapshot mine = snap(new Snapshot.Leader("main", 40, 77), 40, null, null, new Snapshot.Request("", 40, "silent"), Map.of());
        assertTrue(only(Action.StepDown.class, Decide.decide(MAIN, mine, holding(40), n, seen("main", 40), at(T0))).reason()
                .contains("silent"));
        Snapshot stale = snap(new Snapshot.Leader("main", 40, 77), 40, null, null, new Snapshot.Request("", 39, "old"), Map.of());
        assertTrue(none(Action.StepDown.class, Decide.decide(MAIN, stale, holding(40), n, seen("main", 40), at(T0))));
    }

    @Test
    void aSwitchoverToAReadyTargetHandsOverAndToAnUnreadyOneIsRefusedWithTheReason() {
        Node n = new Node().validating();
        Snapshot ready = snap(new Snapshot.Leader("main", 40, 77), 40, null, new Snapshot.Request("backup", 40, ""), null,
                Map.of("backup", status("standby", T0 / 1_000_000)));
        assertEquals("backup", only(Action.HandOver.class, Decide.decide(MAIN, ready, holding(40), n, seen("main", 40), at(T0))).to());
        Snapshot silent = snap(new Snapshot.Leader("main", 40, 77), 40, null, new Snapshot.Request("backup", 40, ""), null, Map.of());
        Decide.Decision d = Decide.decide(MAIN, silent, holding(40), n, seen("main", 40), at(T0));
        assertTrue(only(Action.RefuseSwitchover.class, d).why().contains("publishes no status"));
        assertTrue(none(Action.HandOver.class, d));
    }

    @Test
    void aHolderWhoseNodeRestartedSwitchesItOnAgain() {
        Node n = new Node();
        Decide.Decision d = Decide.decide(MAIN, held("main", 40), holding(40), n, seen("main", 40), at(T0));
        only(Action.Reactivate.class, d);
    }

    @Test
    void anUnhealthyHolderStepsDownAfterTheConfiguredChecksAndNotDuringItsGrace() {
        Node n = new Node().validating();
        n.status = new NodeStatus(false, 9, 100, 5, 6, true, "", 99);
        AgentMemory m = seen("main", 40);
        for (int i = 1; i <= 2; i++) {
            Decide.Decision d = Decide.decide(MAIN, held("main", 40), holding(40), n, m, at(T0 + i * S));
            assertTrue(none(Action.StepDown.class, d), "check " + i);
            m = d.memory();
            assertEquals(i, m.unhealthy());
        }
        assertTrue(only(Action.StepDown.class, Decide.decide(MAIN, held("main", 40), holding(40), n, m, at(T0 + 3 * S))).reason()
                .contains("not synced"));
        AgentMemory fresh = seen("main", 40).activated(T0);
        for (int i = 1; i <= 4; i++) {
            Decide.Decision d = Decide.decide(MAIN, held("main", 40), holding(40), n, fresh, at(T0 + i * S));
            assertTrue(none(Action.StepDown.class, d), "within the 5 s grace, check " + i);
            fresh = d.memory();
        }
    }

    @Test
    void aHolderWhoseNodeHangsStepsDownAndKillsItOnceTheChainIsSilentForTheTakeoverRounds() {
        Node n = hung(votedAt(99, 100));
        AgentMemory m = seen("main", 40);
        Decide.Decision d = Decide.decide(MAIN, held("main", 40), holding(40), n, m, at(T0));
        assertTrue(none(Action.StepDown.class, d), "votes are recent: " + d.actions());
        assertEquals(99, d.memory().node().silentVote());
        assertEquals(1, n.statusAsked);
        // while the chain has nothing newer the node is not asked again (each question would cost its timeout)
        for (int i = 1; i <= 5; i++) {
            n.evidence = votedAt(99, 100 + i / 2);
            d = Decide.decide(MAIN, held("main", 40), holding(40), n, d.memory(), at(T0 + i * S / 5));
            assertTrue(none(Action.StepDown.class, d), "tick " + i + ": " + d.actions());
        }
        assertEquals(1, n.statusAsked, "a silent node is not asked again while the chain has no newer vote");
        n.evidence = silentSince(99, 103);
        Action.StepDown down = only(Action.StepDown.class, Decide.decide(MAIN, held("main", 40), holding(40), n, d.memory(),
                at(T0 + 2 * S)));
        assertTrue(down.hung(), "a node that does not answer is killed, not asked to deactivate");
        assertTrue(down.reason().contains("no vote of the key since round 99"), down.reason());
        assertEquals(1, n.statusAsked);
    }

    @Test
    void aHolderWhoseNodeStopsAnsweringAfterTheChainWentSilentStepsDownAtTheFirstCheck() {
        Node n = hung(silentSince(95, 100));
        Decide.Decision d = Decide.decide(MAIN, held("main", 40), holding(40), n, seen("main", 40), at(T0));
        assertTrue(only(Action.StepDown.class, d).hung());
        assertFalse(d.memory().node().silent(), "after stepping down nothing is counted against the node");
    }

    @Test
    void aSilentNodeWhoseVotesLandAgainIsAskedAgainAndRecovers() {
        Node n = hung(votedAt(99, 100));
        Decide.Decision d = Decide.decide(MAIN, held("main", 40), holding(40), n, seen("main", 40), at(T0));
        n.status = new NodeStatus(true, 0, 101, 5, 6, true, "", 100);
        n.evidence = votedAt(100, 101);
        d = Decide.decide(MAIN, held("main", 40), holding(40), n, d.memory(), at(T0 + S));
        assertEquals(2, n.statusAsked);
        assertFalse(d.memory().node().silent());
        assertTrue(none(Action.StepDown.class, d));
    }

    @Test
    void aNodeThatDoesNotAnswerWhileTheChainCannotSayCountsAndIsKilledAtTheLastCheck() {
        Node n = hung(null);
        AgentMemory m = seen("main", 40);
        for (int i = 1; i <= 2; i++) {
            Decide.Decision d = Decide.decide(MAIN, held("main", 40), holding(40), n, m, at(T0 + i * S));
            assertTrue(none(Action.StepDown.class, d), "check " + i);
            m = d.memory();
        }
        assertEquals(2, n.statusAsked, "without the chain's view the node is asked at every check");
        Action.StepDown down = only(Action.StepDown.class, Decide.decide(MAIN, held("main", 40), holding(40), n, m, at(T0 + 3 * S)));
        assertTrue(down.hung());
        assertTrue(down.reason().contains("unreachable"), down.reason());
    }

    @Test
    void aNodeThatAnswersButIsUnhealthyIsDeactivatedNotKilled() {
        Node n = new Node().validating();
        n.status = new NodeStatus(false, 9, 100, 5, 6, true, "", 99);
        n.evidence = silentSince(90, 100);
        AgentMemory m = seen("main", 40);
        Decide.Decision d = null;
        for (int i = 1; i <= 3; i++) {
            d = Decide.decide(MAIN, held("main", 40), holding(40), n, m, at(T0 + i * S));
            m = d.memory();
        }
        assertFalse(only(Action.StepDown.class, d).hung());
    }

    @Test
    void aStandbyStartsItsStoppedNodeThroughItsUnitAtMostEverySpacing() {
        Node n = new Node();
        n.status = null;
        n.unit = NodeUnit.State.STOPPED;
        Decide.Decision d = Decide.decide(BACKUP, held("main", 40), Role.standby(), n, AgentMemory.start(T0), at(T0));
        assertTrue(only(Action.StartNode.class, d).why().contains("stopped"));
        d = Decide.decide(BACKUP, held("main", 40), Role.standby(), n, d.memory(), at(T0 + 5 * S));
        assertTrue(none(Action.StartNode.class, d), "within the spacing");
        n.unit = NodeUnit.State.FAILED;
        d = Decide.decide(BACKUP, held("main", 40), Role.standby(), n, d.memory(), at(T0 + Decide.START_SPACING_NANOS));
        assertTrue(only(Action.StartNode.class, d).why().contains("failed"));
        n.unit = NodeUnit.State.CHANGING;
        d = Decide.decide(BACKUP, held("main", 40), Role.standby(), n, d.memory(), at(T0 + 3 * Decide.START_SPACING_NANOS));
        assertTrue(none(Action.StartNode.class, d) && none(Action.RestartNode.class, d), "a unit starting is left to finish");
        n.unit = NodeUnit.State.UNKNOWN;
        d = Decide.decide(BACKUP, held("main", 40), Role.standby(), n, d.memory(), at(T0 + 4 * Decide.START_SPACING_NANOS));
        assertTrue(none(Action.StartNode.class, d) && none(Action.RestartNode.class, d), "no unit: nothing to start");
    }

    @Test
    void aStandbyRestartsANodeThatRunsButHasNotAnsweredForTheHangTime() {
        Node n = new Node();
        n.status = null;
        n.unit = NodeUnit.State.RUNNING;
        Decide.Decision d = Decide.decide(BACKUP, held("main", 40), Role.standby(), n, AgentMemory.start(T0), at(T0));
        assertTrue(none(Action.RestartNode.class, d));
        d = Decide.decide(BACKUP, held("main", 40), Role.standby(), n, d.memory(), at(T0 + Decide.STANDBY_HUNG_NANOS - S));
        assertTrue(none(Action.RestartNode.class, d), "a node still starting may be slow");
        int asked = n.unitAsked;
        d = Decide.decide(BACKUP, held("main", 40), Role.standby(), n, d.memory(), at(T0 + Decide.STANDBY_HUNG_NANOS));
        assertTrue(none(Action.RestartNode.class, d));
        assertEquals(asked, n.unitAsked, "systemd is asked at most every " + Decide.UNIT_LOOK_NANOS / S + " s");
        long restart = T0 + Decide.STANDBY_HUNG_NANOS - S + Decide.UNIT_LOOK_NANOS;
        d = Decide.decide(BACKUP, held("main", 40), Role.standby(), n, d.memory(), at(restart));
        only(Action.RestartNode.class, d);
        // the restart is a fresh start: its silence counts from then
        d = Decide.decide(BACKUP, held("main", 40), Role.standby(), n, d.memory(), at(restart + Decide.START_SPACING_NANOS));
        assertTrue(none(Action.RestartNode.class, d));
        n.status = new NodeStatus(true, 0, 100, 5, 6, false, "", 99);
        d = Decide.decide(BACKUP, held("main", 40), Role.standby(), n, d.memory(), at(T0 + 3 * Decide.STANDBY_HUNG_NANOS));
        assertFalse(d.memory().node().silent(), "a node that answers is no longer silent");
    }

    @Test
    void aHolderWhoseNodeIsOutOfSyncLikeItsPeerAtTheSameHeightDoesNotStepDownTheChainStalls() {
        Node n = new Node().validating();
        n.status = new NodeStatus(false, 30, 100, 5, 6, true, "", 99); // out of sync by the last block's age
        for (ObjectNode peer : List.of(status("standby", T0 / 1_000_000).put("synced", false).put("round", 100),
                status("standby", T0 / 1_000_000).put("synced", false).put("round", 98))) {
            Snapshot stalled = snap(new Snapshot.Leader("main", 40, 77), 40, null, null, null, Map.of("backup", peer));
            AgentMemory m = seen("main", 40);
            for (int i = 1; i <= 6; i++) {
                Decide.Decision d = Decide.decide(MAIN, stalled, holding(40), n, m, at(T0 + i * S / 5));
                assertTrue(none(Action.StepDown.class, d), "check " + i + " with " + peer + ": " + d.actions());
                m = d.memory();
            }
            assertEquals(0, m.unhealthy());
        }
        // a peer that is synced, ahead, silent for longer than 3 s, or whose node does not answer: this node is behind
        for (ObjectNode peer : List.of(status("standby", T0 / 1_000_000).put("synced", true).put("round", 100),
                status("standby", T0 / 1_000_000).put("synced", false).put("round", 101),
                status("standby", T0 / 1_000_000 - 4000).put("synced", false).put("round", 100),
                status("standby", T0 / 1_000_000).put("synced", false).put("round", 100).put("nodeError", "refused"))) {
            Snapshot behind = snap(new Snapshot.Leader("main", 40, 77), 40, null, null, null, Map.of("backup", peer));
            AgentMemory m = seen("main", 40);
            Decide.Decision d = null;
            for (int i = 1; i <= 3; i++) {
                d = Decide.decide(MAIN, behind, holding(40), n, m, at(T0 + i * S / 5));
                m = d.memory();
            }
            assertTrue(only(Action.StepDown.class, d).reason().contains("not synced"), peer.toString());
        }
    }

    @Test
    void aHolderPushesEveryPushInterval() {
        Node n = new Node().validating();
        Decide.Decision first = Decide.decide(MAIN, held("main", 40), holding(40), n, seen("main", 40), at(T0));
        only(Action.Push.class, first);
        assertTrue(none(Action.Push.class, Decide.decide(MAIN, held("main", 40), holding(40), n, first.memory(), at(T0 + S))));
        only(Action.Push.class, Decide.decide(MAIN, held("main", 40), holding(40), n, first.memory(), at(T0 + 2 * S)));
    }

    // ---------------------------------------------------------------- standby

    @Test
    void aStandbyFollowsTheHolderAndSwitchesOffANodeThatValidatesWithoutTheRole() {
        Node n = new Node();
        n.status = new NodeStatus(true, 0, 100, 5, 6, true, "", 99);
        Decide.Decision d = Decide.decide(BACKUP, held("main", 40), Role.standby(), n, AgentMemory.start(T0), at(T0));
        only(Action.QuietNode.class, d);
        assertEquals("main", d.memory().lastHolder());
        assertEquals(40, d.memory().lastEpoch());
        assertTrue(none(Action.Acquire.class, d));
    }

    @Test
    void aMainWhoseNodeAlreadySignsBeforeAnyHolderTakesTheRoleWithoutStoppingIt() {
        Snapshot never = new Snapshot(500, null, 0, null, null, null, null, Map.of(), -1, List.of());
        Node n = new Node().validating();
        Decide.Decision d = Decide.decide(MAIN, never, Role.standby(), n, AgentMemory.start(T0), at(T0));
        Action.Acquire a = only(Action.Acquire.class, d);
        assertEquals("onboard", a.kind());
        assertEquals(-1, a.notBeforeRound(), "the node signs on; no floor");
        assertTrue(none(Action.QuietNode.class, d), "a running validator is not switched off: " + d.actions());
        // only on the main, only before any epoch was granted, only when the chain shows the key voting
        only(Action.QuietNode.class, Decide.decide(BACKUP, never, Role.standby(), new Node().validating(), AgentMemory.start(T0), at(T0)));
        Snapshot heldOnce = new Snapshot(500, null, 40, "backup", null, null, null, Map.of(), -1, List.of());
        d = Decide.decide(MAIN, heldOnce, Role.standby(), new Node().validating(), AgentMemory.start(T0), at(T0));
        only(Action.QuietNode.class, d);
        assertTrue(none(Action.Acquire.class, d));
        Node silentOnChain = new Node().validating();
        silentOnChain.evidence = silentSince(90, 100);
        only(Action.QuietNode.class, Decide.decide(MAIN, never, Role.standby(), silentOnChain, AgentMemory.start(T0), at(T0)));
        Node notSigning = new Node().validating();
        notSigning.signing = false;
        only(Action.QuietNode.class, Decide.decide(MAIN, never, Role.standby(), notSigning, AgentMemory.start(T0), at(T0)));
        Role cooling = new Role(false, 0, 0, 1, T0 + 5 * S);
        only(Action.QuietNode.class, Decide.decide(MAIN, never, cooling, new Node().validating(), AgentMemory.start(T0), at(T0)));
    }

    @Test
    void aRestartedAgentAdoptsItsOwnLeaderKeyUnlessItGaveTheRoleUp() {
        Node n = new Node();
        only(Action.Adopt.class, Decide.decide(MAIN, held("main", 40), Role.standby(), n, AgentMemory.start(T0), at(T0)));
        Role cooling = new Role(false, 0, 0, 3, T0 + 5 * S);
        assertTrue(none(Action.Adopt.class, Decide.decide(MAIN, held("main", 40), cooling, n, AgentMemory.start(T0), at(T0))));
    }

    @Test
    void aStandbyTakesAnAbsentRoleOnlyAfterTheChainShowsNoVoteForTakeoverRounds() {
        Node n = new Node();
        n.evidence = votedAt(99, 100);
        Snapshot absent = snap(null, 40, null, null, null, Map.of());
        Decide.Decision waiting = Decide.decide(BACKUP, absent, Role.standby(), n, seen("main", 40), at(T0));
        assertTrue(none(Action.Acquire.class, waiting));
        assertTrue(waiting.actions().toString().contains("voted at round 99"), waiting.actions().toString());
        n.evidence = silentSince(96, 100);
        Action.Acquire a = only(Action.Acquire.class, Decide.decide(BACKUP, absent, Role.standby(), n, waiting.memory(), at(T0 + S)));
        assertEquals("failover", a.kind());
        assertFalse(a.release());
        assertEquals(97, a.notBeforeRound(), "never at or before the chain's last vote");
        assertEquals(40, a.expectEpochRev(), "the acquisition fails if a leader key was made since this snapshot");
    }

    /**
     * The new holder's node may join the round in progress when it began the join margin after this host first saw the
     * role free — not after the acquisition — and a newer epoch granted since (held and lost unseen) restarts that count.
     */
    @Test
    void theJoinTimeIsTheFirstLookAtTheFreeRolePlusTheMarginAndANewerEpochRestartsIt() {
        Node n = new Node();
        n.evidence = votedAt(99, 100);
        Snapshot absent = snap(null, 40, null, null, null, Map.of());
        Decide.Decision first = Decide.decide(BACKUP, absent, Role.standby(), n, seen("main", 40), at(T0));
        assertTrue(none(Action.Acquire.class, first));
        n.evidence = silentSince(96, 100);
        Action.Acquire a = only(Action.Acquire.class, Decide.decide(BACKUP, absent, Role.standby(), n, first.memory(), at(T0 + 7 * S)));
        assertEquals(T0 / 1_000_000 + 1000, a.joinAfterMs(), "first look (wall ms) + the 1 s margin");

        Snapshot heldAndLostUnseen = snap(null, 41, null, null, null, Map.of());
        Action.Acquire b = only(Action.Acquire.class,
                Decide.decide(BACKUP, heldAndLostUnseen, Role.standby(), n, first.memory(), at(T0 + 9 * S)));
        assertEquals((T0 + 9 * S) / 1_000_000 + 1000, b.joinAfterMs(), "epoch 41 was granted after the first look: counted anew");

        Decide.Policy never = new Decide.Policy("backup", false, "main", 3, 3, 5 * S, 0, 0, 2 * S, -1);
        assertEquals(-1, only(Action.Acquire.class, Decide.decide(never, absent, Role.standby(), n, first.memory(), at(T0 + 7 * S)))
                .joinAfterMs(), "join_round_margin_ms -1: the node waits for the next round");
    }

    @Test
    void aSwitchoverInvitationWithoutAReleaseRecordDoesNotSkipTheEvidenceWait() {
        // the holder's agent hangs (or anyone with write access wrote the request and deleted the key): its node may sign on
        Node n = new Node();
        n.evidence = votedAt(100, 100);
        Snapshot invited = snap(null, 40, null, new Snapshot.Request("backup", 40, ""), null, Map.of());
        Decide.Decision d = Decide.decide(BACKUP, invited, Role.standby(), n, seen("main", 40), at(T0));
        assertTrue(none(Action.Acquire.class, d));
        assertTrue(d.actions().toString().contains("no release record of epoch 40"), d.actions().toString());
        Snapshot staleRecord = snap(null, 40, new Snapshot.Released(38, "main", 90, 0, true), new Snapshot.Request("backup", 40, ""),
                null, Map.of());
        assertTrue(none(Action.Acquire.class, Decide.decide(BACKUP, staleRecord, Role.standby(), n, seen("main", 40), at(T0))),
                "a record of an older epoch proves nothing about epoch 40");
    }

    @Test
    void aProvenReleaseSkipsTheEvidenceWaitAndTheNewHolderSignsAfterTheReleasedRound() {
        Node n = new Node();
        n.evidence = votedAt(100, 101);
        Snapshot released = snap(null, 40, new Snapshot.Released(40, "main", 101, 0, true), new Snapshot.Request("backup", 40, ""), null,
                Map.of());
        Action.Acquire a = only(Action.Acquire.class, Decide.decide(BACKUP, released, Role.standby(), n, seen("main", 40), at(T0)));
        assertEquals("switchover", a.kind());
        assertTrue(a.release());
        assertEquals(102, a.notBeforeRound(), "the released last round (101) is never signed again");
        Snapshot later = snap(null, 41, new Snapshot.Released(40, "main", 101, 0, true), null, null, Map.of());
        assertTrue(none(Action.Acquire.class, Decide.decide(BACKUP, later, Role.standby(), n, seen("main", 40), at(T0))),
                "a leader key of epoch 41 was made after the release: its holder may sign");
    }

    @Test
    void aReleaseRecordWhoseSignatureDoesNotVerifyIsNoProof() {
        Node n = new Node();
        n.evidence = votedAt(100, 101);
        Snapshot forged = snap(null, 40, new Snapshot.Released(40, "main", 101, 0, false), null, null, Map.of());
        assertFalse(forged.provenRelease());
        assertTrue(none(Action.Acquire.class, Decide.decide(BACKUP, forged, Role.standby(), n, seen("main", 40), at(T0))),
                "the chain shows votes and the record proves nothing: wait");
    }

    @Test
    void aForgedInvitationForAnotherEpochIsNoInvitation() {
        Node n = new Node();
        Role cooling = new Role(false, 0, 0, 3, T0 + 5 * S);
        Snapshot forged = snap(null, 40, null, new Snapshot.Request("main", 39, ""), null, Map.of());
        assertTrue(none(Action.Acquire.class, Decide.decide(MAIN, forged, cooling, n, seen("main", 40), at(T0))),
                "not invited: the cooldown holds");
    }

    @Test
    void aBackupLeavesAnAbsentRoleToAReadyLiveMain() {
        Node n = new Node();
        Snapshot mainReady = snap(null, 40, null, null, null, Map.of("main", status("standby", T0 / 1_000_000 - 500)));
        Decide.Decision d = Decide.decide(BACKUP, mainReady, Role.standby(), n, seen("main", 40), at(T0));
        assertTrue(none(Action.Acquire.class, d));
        assertTrue(d.actions().toString().contains("leaving it to the main"), d.actions().toString());
        Snapshot mainStale = snap(null, 40, null, null, null, Map.of("main", status("standby", T0 / 1_000_000 - 4000)));
        only(Action.Acquire.class, Decide.decide(BACKUP, mainStale, Role.standby(), n, seen("main", 40), at(T0)));
    }

    @Test
    void aBackupDoesNotLeaveTheRoleToAMainWaitingForANewerBundle() {
        Node n = new Node();
        ObjectNode behind = status("standby", T0 / 1_000_000 - 500);
        ((ObjectNode) behind.get("keys")).put("nextBehind", "the keys for period 6 are not those backup signs with");
        Snapshot s = snap(null, 40, null, null, null, Map.of("main", behind));
        only(Action.Acquire.class, Decide.decide(BACKUP, s, Role.standby(), n, seen("backup", 40), at(T0)));
    }

    @Test
    void aStandbyWithoutKeysOrSyncOrAnAnsweringNodeWaits() {
        Snapshot absent = snap(null, 40, null, null, null, Map.of());
        Node noKeys = new Node();
        noKeys.ids.put(5L, List.of());
        assertTrue(Decide.decide(BACKUP, absent, Role.standby(), noKeys, seen("main", 40), at(T0)).actions().toString()
                .contains("no verified keys for the current period 5"));
        Node lagging = new Node();
        lagging.status = new NodeStatus(false, 7, 100, 5, 6, false, "", -1);
        assertTrue(none(Action.Acquire.class, Decide.decide(BACKUP, absent, Role.standby(), lagging, seen("main", 40), at(T0))));
        Node chainDown = new Node();
        chainDown.evidence = null;
        Decide.Decision d = Decide.decide(BACKUP, absent, Role.standby(), chainDown, seen("main", 40), at(T0));
        assertTrue(none(Action.Acquire.class, d));
        assertTrue(d.actions().toString().contains("not taking the role in doubt"), d.actions().toString());
    }

    @Test
    void aBackupWaitsItsStandbyDelayAndAHostCoolingDownWaitsItsCooldown() {
        Decide.Policy delayed = new Decide.Policy("backup", false, "main", 3, 3, 5 * S, 2 * S, 0, 2 * S, 1000);
        Snapshot absent = snap(null, 40, null, null, null, Map.of());
        Node n = new Node();
        Decide.Decision first = Decide.decide(delayed, absent, Role.standby(), n, seen("main", 40), at(T0));
        assertTrue(none(Action.Acquire.class, first));
        only(Action.Acquire.class, Decide.decide(delayed, absent, Role.standby(), n, first.memory(), at(T0 + 2 * S)));
        Role cooling = new Role(false, 0, 0, 3, T0 + 5 * S);
        assertTrue(none(Action.Acquire.class, Decide.decide(MAIN, absent, cooling, n, seen("main", 40), at(T0 + S))));
        only(Action.Acquire.class, Decide.decide(MAIN, absent, cooling, n, seen("main", 40), at(T0 + 5 * S)));
    }

    @Test
    void aWaitingStandbySaysWhyEveryFiveSeconds() {
        Node n = new Node();
        n.evidence = votedAt(100, 100);
        Snapshot absent = snap(null, 40, null, null, null, Map.of());
        AgentMemory m = seen("main", 40);
        int logged = 0;
        for (int i = 0; i < 10; i++) {
            Decide.Decision d = Decide.decide(BACKUP, absent, Role.standby(), n, m, at(T0 + i * S));
            logged += (int) d.actions().stream().filter(a -> a instanceof Action.Log l && l.message().startsWith("not taking")).count();
            m = d.memory();
        }
        assertEquals(2, logged);
    }

    @Test
    void theKindOfATakeoverNamesWhereTheRoleCameFrom() {
        Node n = new Node();
        Snapshot none = new Snapshot(500, null, 0, null, null, null, null, Map.of(), -1, List.of());
        assertEquals("bootstrap", only(Action.Acquire.class, Decide.decide(MAIN, none, Role.standby(), n, AgentMemory.start(T0),
                at(T0))).kind());
        Snapshot lapsedOwn = new Snapshot(500, null, 40, "main", null, null, null, Map.of(), -1, List.of());
        assertEquals("retake", only(Action.Acquire.class, Decide.decide(MAIN, lapsedOwn, Role.standby(), n, AgentMemory.start(T0),
                at(T0))).kind(), "a restarted main taking back the role it held: no failover to report");
        assertEquals("failover", only(Action.Acquire.class, Decide.decide(BACKUP, snap(null, 40, null, null, null, Map.of()),
                Role.standby(), n, seen("main", 40), at(T0))).kind());
    }

    @Test
    void aSwitchoverWaitsWhileTheTargetLacksTheHoldersKeysAndThePushGoesFirst() {
        Node holder = new Node().validating();
        holder.ids.put(6L, List.of("K6-ELECTED"));
        // the target's status predates the holder's election: no "behind" flag yet, but not the holder's period-6 keys
        Snapshot asked = snap(new Snapshot.Leader("main", 40, 77), 40, null, new Snapshot.Request("backup", 40, ""), null,
                Map.of("backup", status("standby", T0 / 1_000_000)));
        Decide.Policy main = new Decide.Policy("main", true, "main", 3, 3, 5 * S, 0, 0, 60 * S, 1000);
        Decide.Decision d = Decide.decide(main, asked, holding(40), holder, seen("main", 40), at(T0));
        assertTrue(none(Action.HandOver.class, d) && none(Action.RefuseSwitchover.class, d), d.actions().toString());
        assertTrue(d.actions().toString().contains("lacks the keys for period 6"), d.actions().toString());
        only(Action.Push.class, d);
        Decide.Decision soon = Decide.decide(main, asked, holding(40), holder, d.memory(), at(T0 + S));
        assertTrue(none(Action.Push.class, soon) && none(Action.HandOver.class, soon), "one push per 2 s while waiting");
        only(Action.Push.class, Decide.decide(main, asked, holding(40), holder, soon.memory(), at(T0 + 2 * S)));
        // the bundle arrived: the target publishes the ids, and a "behind" flag from an older comparison is the holder's to judge
        ObjectNode arrived = status("standby", T0 / 1_000_000);
        ((ObjectNode) arrived.get("keys")).put("nextBehind", "stale comparison");
        ((ObjectNode) arrived.get("keys").get("ids")).putArray("6").add("K6-ELECTED");
        Snapshot now = snap(new Snapshot.Leader("main", 40, 77), 40, null, new Snapshot.Request("backup", 40, ""), null,
                Map.of("backup", arrived));
        assertEquals("backup", only(Action.HandOver.class, Decide.decide(MAIN, now, holding(40), holder, d.memory(), at(T0 + S))).to());
        holder.status = null;
        assertTrue(none(Action.HandOver.class, Decide.decide(MAIN, now, holding(40), holder, d.memory(), at(T0 + S))),
                "a holder that cannot list its own keys does not hand over");
    }

    @Test
    void anInvitedStandbyWaitsForTheHoldersNewerKeys() {
        // invited, released: the standby's own ids must include those the holder's status lists
        Node standby = new Node();
        ObjectNode mainStatus = status("standby", T0 / 1_000_000);
        ((ObjectNode) mainStatus.get("keys")).putObject("ids").putArray("5").add("K5-NEW");
        Snapshot invited = snap(null, 40, new Snapshot.Released(40, "main", 100, 0, true), new Snapshot.Request("backup", 40, ""), null,
                Map.of("main", mainStatus));
        Decide.Decision d = Decide.decide(BACKUP, invited, Role.standby(), standby, seen("main", 40), at(T0));
        assertTrue(none(Action.Acquire.class, d));
        assertTrue(d.actions().toString().contains("waiting for its newer bundle"), d.actions().toString());
        standby.ids.put(5L, List.of("K5-NEW"));
        only(Action.Acquire.class, Decide.decide(BACKUP, invited, Role.standby(), standby, seen("main", 40), at(T0)));
    }

    @Test
    void outsideTheCurrentSetABackupLeavesTheRoleToAnyLiveMainHoweverOldItsStatus() {
        Node n = new Node();
        n.evidence = new Evidence(false, -1, -1, 100, 3, false, false, 0, 0, 0, 1000);
        ObjectNode old = status("standby", T0 / 1_000_000 - 60_000);
        old.put("synced", false);
        Snapshot s = snap(null, 40, null, null, null, Map.of("main", old));
        assertTrue(none(Action.Acquire.class, Decide.decide(BACKUP, s, Role.standby(), n, seen("main", 40), at(T0))),
                "only the main holds the wallet to bid: a backup holding the role would keep the validator out of the set");
        only(Action.Acquire.class, Decide.decide(BACKUP, snap(null, 40, null, null, null, Map.of()), Role.standby(), n,
                seen("main", 40), at(T0)));
    }
}
