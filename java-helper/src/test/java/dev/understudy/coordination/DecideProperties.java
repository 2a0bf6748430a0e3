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

    /** Every fault; wall clocks stepped up to 2.5 rounds either way. */
    @Provide
    Arbitrary<List<Event>> scripts() {
        return scripts(List.of(Kind.HANG, Kind.THAW, Kind.NODE_HANG, Kind.NODE_THAW, Kind.CUT_ETCD, Kind.HEAL_ETCD, Kind.CUT_CHAIN,
                Kind.HEAL_CHAIN, Kind.POWER_OFF, Kind.BOOT, Kind.CLOCK_JUMP, Kind.WALL_JUMP, Kind.SWITCHOVER, Kind.DEMOTE), 0, 5000);
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

    @Property(tries = 400)
    void withAWatchdogNoFaultMakesTwoSigners(@ForAll("scripts") List<Event> script, @ForAll long seed) {
        check(new ProtocolSim(true, 0.1, seed, NONE), script);
    }

    @Property(tries = 400)
    void withoutAWatchdogTheEvidenceRuleKeepsOneSigner(@ForAll("scriptsWithoutChainCuts") List<Event> script, @ForAll long seed) {
        check(new ProtocolSim(false, 0.1, seed, NONE), script);
    }

    /**
     * Runs the script and checks the invariants. The coverage checks keep the property honest across the tries: most
     * runs sign, and many move the role at least once (a run where nothing happens would prove nothing).
     */
    private static void check(ProtocolSim sim, List<Event> script) {
        sim.run(script);
        Statistics.label("signed").collect(sim.signedRounds > 0);
        Statistics.label("takeovers").collect(Math.min(sim.takeovers, 2));
        Assertions.assertEquals(List.of(), sim.violations, "script " + script);
        Statistics.label("signed").coverage(c -> c.check(true).percentage(p -> p >= 90));
        Statistics.label("takeovers").coverage(c -> c.check(0).percentage(p -> p <= 80));
    }

    /** The holder's agent hangs (no watchdog); its lease expires; anyone invites the backup; the chain shows its votes. */
    private static List<Event> forgedInvitationWhileTheHolderHangs() {
        List<Event> s = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            s.add(new Event(Kind.TICK, 0, 0));
            s.add(new Event(Kind.TICK, 1, 0));
            s.add(new Event(Kind.ADVANCE, 0, 4));
        }
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
        ProtocolSim sim = new ProtocolSim(false, 0, 1, NONE);
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
            acts.add(new Action.Acquire("switchover", false, s.latestEpoch(), -1, null, s.latestEpoch(), null));
            return new Decide.Decision(d.memory(), acts);
        };
        ProtocolSim sim = new ProtocolSim(false, 0, 1, oldRule);
        sim.run(forgedInvitationWhileTheHolderHangs());
        Assertions.assertFalse(sim.violations.isEmpty(), "the old rule must make two signers here");
    }

    /** The holder's node hangs (its agent runs, no watchdog) and thaws later, after the backup took over. */
    private static List<Event> holderNodeHangsThenThaws() {
        List<Event> s = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            s.add(new Event(Kind.TICK, 0, 0));
            s.add(new Event(Kind.TICK, 1, 0));
            s.add(new Event(Kind.ADVANCE, 0, 4));
        }
        s.add(new Event(Kind.NODE_HANG, 0, 0));
        for (int i = 0; i < 40; i++) {
            s.add(new Event(Kind.TICK, 0, 0));
            s.add(new Event(Kind.TICK, 1, 0));
            s.add(new Event(Kind.ADVANCE, 0, 4));
        }
        s.add(new Event(Kind.NODE_THAW, 0, 0));
        s.add(new Event(Kind.ADVANCE, 0, 20)); // a thawed node signs at its next round, before its agent's next check
        for (int i = 0; i < 20; i++) {
            s.add(new Event(Kind.TICK, 0, 0));
            s.add(new Event(Kind.TICK, 1, 0));
            s.add(new Event(Kind.ADVANCE, 0, 4));
        }
        return s;
    }

    @Example
    void aHungHolderNodeIsKilledAndTheBackupTakesOverWithoutASecondSigner() {
        ProtocolSim sim = new ProtocolSim(false, 0, 1, NONE);
        sim.run(holderNodeHangsThenThaws());
        Assertions.assertEquals(List.of(), sim.violations);
        Assertions.assertEquals(1, sim.takeovers, "the holder steps down once the chain shows its key silent");
    }

    /** The same script on hosts without node.unit (and no watchdog): the hung node cannot be killed, and it thaws. */
    @Example
    void withoutANodeUnitOrWatchdogAHungNodeThatThawsIsCaught() {
        ProtocolSim sim = new ProtocolSim(false, 0, 1, NONE).withoutNodeUnit();
        sim.run(holderNodeHangsThenThaws());
        Assertions.assertFalse(sim.violations.isEmpty(), "a hung node left running signs again when it thaws");
    }
}
