package dev.understudy.coordination;

import dev.understudy.coordination.ProtocolSim.Event;
import dev.understudy.coordination.ProtocolSim.Kind;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.statistics.Statistics;
import org.junit.jupiter.api.Assertions;

/**
 * The decision function driven through random interleavings of two agents' ticks, time, a lossy etcd, clock drift and
 * jumps, frozen agents, cuts from etcd and from the chain, power losses, demotes and forged switchover requests
 * ({@link ProtocolSim}), with the invariants of docs/model/coordination.pml checked at every round: at most one signer
 * (S1), and no round at or below a released one signed after the release (R1).
 */
class DecideProperties {
    private static final ProtocolSim.Tamper NONE = (self, s, d) -> d;
    /** The configuration's default join margin (coordination.join_round_margin_ms). */
    private static final long DEFAULT_MARGIN = 1000;

    /** Every fault; wall clocks stepped up to 1.5 rounds either way. */
    @Provide
    Arbitrary<List<Event>> scripts() {
        return scripts(List.of(Kind.HANG, Kind.THAW, Kind.NODE_HANG, Kind.NODE_THAW, Kind.CUT_ETCD, Kind.HEAL_ETCD, Kind.CUT_CHAIN,
                Kind.HEAL_CHAIN, Kind.POWER_OFF, Kind.BOOT, Kind.CLOCK_JUMP, Kind.WALL_JUMP, Kind.SWITCHOVER, Kind.DEMOTE), 1000, 4000);
    }

    /** Every fault; wall clocks stepped up to half a round either way (a difference within the default join margin). */
    @Provide
    Arbitrary<List<Event>> scriptsWithCloseClocks() {
        return scripts(List.of(Kind.HANG, Kind.THAW, Kind.NODE_HANG, Kind.NODE_THAW, Kind.CUT_ETCD, Kind.HEAL_ETCD, Kind.CUT_CHAIN,
                Kind.HEAL_CHAIN, Kind.POWER_OFF, Kind.BOOT, Kind.CLOCK_JUMP, Kind.WALL_JUMP, Kind.SWITCHOVER, Kind.DEMOTE), 2000, 3000);
    }

    /**
     * Without a watchdog the evidence rule is what stops a frozen holder's node from being joined: every fault but a node
     * cut from the chain or hung (a node hung while its agent is frozen too is silent on the chain, nobody kills it, and
     * it signs again when it resumes), and wall clocks stepped less than takeover_rounds - 1 rounds (a node whose clock
     * steps back further is silent on the chain for takeover_rounds and then signs again: the documented limits,
     * docs/coordination.md).
     */
    @Provide
    Arbitrary<List<Event>> scriptsWithoutChainCuts() {
        return scripts(List.of(Kind.HANG, Kind.THAW, Kind.CUT_ETCD, Kind.HEAL_ETCD, Kind.POWER_OFF, Kind.BOOT, Kind.CLOCK_JUMP,
                Kind.WALL_JUMP, Kind.SWITCHOVER, Kind.DEMOTE), 1000, 4000);
    }

    private static Arbitrary<List<Event>> scripts(List<Kind> faults, int amountMin, int amountMax) {
        Arbitrary<Event> tick = Arbitraries.integers().between(0, 1).map(h -> new Event(Kind.TICK, h, 0));
        Arbitrary<Event> advance = Arbitraries.integers().between(1, 8).map(q -> new Event(Kind.ADVANCE, 0, q));
        Arbitrary<Event> fault = Combinators.combine(Arbitraries.of(faults), Arbitraries.integers().between(0, 1),
                Arbitraries.integers().between(amountMin, amountMax)).as(Event::new);
        return Arbitraries.frequencyOf(Tuple.of(50, tick), Tuple.of(44, advance), Tuple.of(6, fault)).list().ofMinSize(300).ofMaxSize(900);
    }

    /** Clocks up to 3 s apart, a join margin of 3 s. */
    @Property(tries = 400)
    void withAWatchdogNoFaultMakesTwoSigners(@ForAll("scripts") List<Event> script, @ForAll long seed) {
        check(new ProtocolSim(true, 0.1, seed, NONE, 3000), script, true);
    }

    /** The default join margin (1 s) with clocks at most 1 s apart. */
    @Property(tries = 300)
    void joiningTheRoundInProgressWithinTheMarginKeepsOneSigner(@ForAll("scriptsWithCloseClocks") List<Event> script,
            @ForAll long seed) {
        check(new ProtocolSim(true, 0.1, seed, NONE, DEFAULT_MARGIN), script, true);
    }

    /** Clocks up to 3 s apart; the new holder never joins the round in progress. */
    @Property(tries = 400)
    void withoutAWatchdogTheEvidenceRuleKeepsOneSigner(@ForAll("scriptsWithoutChainCuts") List<Event> script, @ForAll long seed) {
        check(new ProtocolSim(false, 0.1, seed, NONE, -1), script, false);
    }

    /**
     * Runs the script and checks the invariants. The coverage checks keep the property honest across the tries: most
     * runs sign, many move the role at least once (a run where nothing happens would prove nothing), and with a join
     * margin some new holder joins the round in progress.
     */
    private static void check(ProtocolSim sim, List<Event> script, boolean joins) {
        sim.run(script);
        Statistics.label("signed").collect(sim.signedRounds > 0);
        Statistics.label("takeovers").collect(Math.min(sim.takeovers, 2));
        Statistics.label("joined the round in progress").collect(sim.joins > 0);
        Assertions.assertEquals(List.of(), sim.violations, "script " + script);
        Statistics.label("signed").coverage(c -> c.check(true).percentage(p -> p >= 90));
        Statistics.label("takeovers").coverage(c -> c.check(0).percentage(p -> p <= 80));
        if (joins) {
            Statistics.label("joined the round in progress").coverage(c -> c.check(true).percentage(p -> p >= 10));
        }
    }

    /** Both agents ticking, five ticks a round, for {@code rounds} rounds. */
    private static List<Event> steady(List<Event> s, int rounds) {
        for (int i = 0; i < rounds * 5; i++) {
            s.add(new Event(Kind.TICK, 0, 0));
            s.add(new Event(Kind.TICK, 1, 0));
            s.add(new Event(Kind.ADVANCE, 0, 4));
        }
        return s;
    }

    /** The holder's agent hangs (no watchdog); its lease expires; anyone invites the backup; the chain shows its votes. */
    private static List<Event> forgedInvitationWhileTheHolderHangs() {
        List<Event> s = steady(new ArrayList<>(), 4);
        s.add(new Event(Kind.HANG, 0, 0));
        s.add(new Event(Kind.SWITCHOVER, 0, 0)); // to the other host (the backup), naming the newest epoch
        for (int i = 0; i < 40; i++) {
            s.add(new Event(Kind.TICK, 1, 0));
            s.add(new Event(Kind.ADVANCE, 0, 4));
        }
        return s;
    }

    @Example
    void aForgedInvitationWhileTheHolderHangsIsNotATakeover() {
        ProtocolSim sim = new ProtocolSim(false, 0, 1, NONE, DEFAULT_MARGIN);
        sim.run(forgedInvitationWhileTheHolderHangs());
        Assertions.assertEquals(List.of(), sim.violations);
        Assertions.assertEquals(0, sim.takeovers, "the hung holder's node signs on: the backup waits for the chain");
    }

    /** The same script under the rule this design replaced (an invitation skips the evidence wait): two signers. */
    @Example
    void theOldInvitationRuleIsCaught() {
        ProtocolSim.Tamper oldRule = (self, s, d) -> {
            boolean invited = s.leader() == null && s.switchover() != null && s.switchover().to().equals(self)
                    && s.switchover().epoch() == s.latestEpoch();
            if (!invited || d.actions().stream().anyMatch(a -> a instanceof Action.Acquire)) {
                return d;
            }
            List<Action> acts = new ArrayList<>(d.actions());
            acts.add(new Action.Acquire("switchover", false, s.latestEpoch(), -1, -1, null, s.latestEpoch(), null));
            return new Decide.Decision(d.memory(), acts);
        };
        ProtocolSim sim = new ProtocolSim(false, 0, 1, oldRule, DEFAULT_MARGIN);
        sim.run(forgedInvitationWhileTheHolderHangs());
        Assertions.assertFalse(sim.violations.isEmpty(), "the old rule must make two signers here");
    }

    /** The holder's node hangs (its agent runs, no watchdog) and thaws later, after the backup took over. */
    private static List<Event> holderNodeHangsThenThaws() {
        List<Event> s = steady(new ArrayList<>(), 4);
        s.add(new Event(Kind.NODE_HANG, 0, 0));
        steady(s, 8);
        s.add(new Event(Kind.NODE_THAW, 0, 0));
        s.add(new Event(Kind.ADVANCE, 0, 20)); // a thawed node signs at its next round, before its agent's next check
        return steady(s, 4);
    }

    @Example
    void aHungHolderNodeIsKilledAndTheBackupTakesOverWithoutASecondSigner() {
        ProtocolSim sim = new ProtocolSim(false, 0, 1, NONE, DEFAULT_MARGIN);
        sim.run(holderNodeHangsThenThaws());
        Assertions.assertEquals(List.of(), sim.violations);
        Assertions.assertEquals(1, sim.takeovers, "the holder steps down once the chain shows its key silent");
    }

    /** The same script on hosts without node.unit (and no watchdog): the hung node cannot be killed, and it thaws. */
    @Example
    void withoutANodeUnitOrWatchdogAHungNodeThatThawsIsCaught() {
        ProtocolSim sim = new ProtocolSim(false, 0, 1, NONE, DEFAULT_MARGIN).withoutNodeUnit();
        sim.run(holderNodeHangsThenThaws());
        Assertions.assertFalse(sim.violations.isEmpty(), "a hung node left running signs again when it thaws");
    }

    /**
     * The holder's wall clock runs 2.5 s ahead and the backup's 2.5 s behind (5 rounds apart); the holder is cut from
     * etcd and the chain (its votes queue) and fences itself; the backup takes over when the chain shows the key silent.
     */
    private static List<Event> clocksFiveRoundsApart() {
        List<Event> s = new ArrayList<>();
        s.add(new Event(Kind.WALL_JUMP, 0, 5000));
        s.add(new Event(Kind.WALL_JUMP, 1, 0));
        steady(s, 4);
        s.add(new Event(Kind.CUT_ETCD, 0, 0));
        s.add(new Event(Kind.CUT_CHAIN, 0, 0));
        return steady(s, 12);
    }

    /**
     * The documented limit (docs/coordination.md, assumptions): the holder's fast clock signed rounds the backup's slow
     * clock had not reached when it took over — with or without joining the round in progress. Time sync keeps the
     * hosts' clocks within the join margin.
     */
    @Example
    void clocksFiveRoundsApartMakeTwoSigners() {
        for (long margin : new long[] {-1, DEFAULT_MARGIN, 5000}) {
            ProtocolSim sim = new ProtocolSim(true, 0, 1, NONE, margin);
            sim.run(clocksFiveRoundsApart());
            Assertions.assertFalse(sim.violations.isEmpty(), "join margin " + margin);
        }
    }
}
