package dev.understudy.watchdog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.understudy.alert.Alert;
import dev.understudy.alert.AlertName;
import dev.understudy.common.Json;
import dev.understudy.config.HostEntry;
import dev.understudy.node.Evidence;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Every alert condition of the watchdog, from observations built by hand: healthy is quiet, each fault speaks. */
class RulesTest {
    static final WatchdogSettings CFG = new WatchdogSettings(Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(30), 22,
            Duration.ofSeconds(1), Path.of("/tmp/x.prom"), 20, Duration.ofSeconds(180), 3, Duration.ZERO, Duration.ofSeconds(10));
    static final Instant NOW = Instant.parse("2026-11-21T12:00:00Z");

    static ObjectNode status(String role, boolean synced, boolean signing, boolean keysCur, boolean keysNext) {
        ObjectNode s = Json.object();
        s.put("role", role).put("synced", synced).put("signing", signing).put("validation", signing).put("lagRounds", synced ? 0 : 9)
                .put("currentPeriod", 5).put("nextPeriod", 6).put("updatedAtMs", NOW.toEpochMilli() - 1000);
        s.putObject("keys").put("current", keysCur).put("next", keysNext);
        s.putObject("bundles").put("quarantined", 0);
        return s;
    }

    static Evidence chain(boolean signed, int signers, boolean inNext) {
        return chain(signed, signers, inNext, 0, 0);
    }

    static Evidence chain(boolean signed, int signers, boolean inNext, long recentDoubleSigns, long totalDoubleSigns) {
        return new Evidence(signed, signed ? 99 : 90, signed ? 99 : 90, 100, 3, true, inNext, signers, recentDoubleSigns, totalDoubleSigns, 1000);
    }

    static Observation obs(String holder, Evidence ev, ObjectNode main, ObjectNode backup) {
        List<Observation.HostView> hosts = new ArrayList<>();
        hosts.add(new Observation.HostView("m", HostEntry.Role.MAIN, main, main == null ? Long.MAX_VALUE : 1000, true, null));
        hosts.add(new Observation.HostView("b", HostEntry.Role.BACKUP, backup, backup == null ? Long.MAX_VALUE : 1000, true, null));
        return new Observation(NOW, "v", "m", true, 3, 3, null, holder, holder == null ? 0 : 42, holder == null ? -1 : 2, hosts, ev, null, null);
    }

    static Observation healthy() {
        return obs("m", chain(true, 1, false), status("holder", true, true, true, false), status("standby", true, false, true, false));
    }

    static WatchState state() {
        WatchState s = new WatchState();
        s.lastHolder = "m";
        s.lastEpoch = 42;
        return s;
    }

    static List<String> names(Rules.Verdict v) {
        return v.alerts().stream().map(a -> a.name().name() + (a.subject().isEmpty() ? "" : ":" + a.subject())).sorted().collect(Collectors.toList());
    }

    @Test
    void aHealthyDeploymentIsQuiet() {
        Rules.Verdict v = Rules.evaluate(healthy(), state(), CFG);
        assertEquals(List.of(), names(v));
        assertNull(v.demoteReason());
    }

    @Test
    void etcdDegradedIsAWarningAndNoQuorumIsCritical() {
        Observation o = healthy();
        Observation partial = new Observation(NOW, "v", "m", true, 3, 2, null, "m", 42, 2, o.hosts(), o.evidence(), null, null);
        assertEquals(List.of("ETCD_DEGRADED"), names(Rules.evaluate(partial, state(), CFG)));
        Observation none = new Observation(NOW, "v", "m", false, 0, 0, "timeout", null, 0, -1, o.hosts(), o.evidence(), null, null);
        Alert a = Rules.evaluate(none, state(), CFG).alerts().stream().filter(x -> x.name() == AlertName.ETCD_DEGRADED).findFirst().orElseThrow();
        assertEquals("critical", a.severity());
    }

    @Test
    void nobodySigningIsNoSignerAndMainNotSigning() {
        // the chain has heard nothing for 10 rounds of 1 s: no_signer_s (10 s) is reached
        Observation o = obs(null, chain(false, 0, false), status("standby", true, false, true, false), status("standby", true, false, true, false));
        assertEquals(List.of("FAILOVER_STARTED", "MAIN_NOT_SIGNING:m", "NO_SIGNER"), names(Rules.evaluate(o, state(), CFG)));
        Alert started = Rules.evaluate(o, state(), CFG).alerts().stream().filter(a -> a.name() == AlertName.FAILOVER_STARTED).findFirst().orElseThrow();
        assertTrue(started.summary().startsWith("m no longer holds the signing role (epoch 42)"), started.summary());
    }

    @Test
    void aQuietSignerStartsAFailoverAndNothingSigningForLongIsNoSigner() {
        // the holder still holds its lease, but the chain heard nothing for 4 rounds: a failover is under way
        Evidence quiet = new Evidence(false, 96, 96, 100, 3, true, false, 0, 0, 0, 1000);
        Observation o = obs("m", quiet, status("holder", true, true, true, false), status("standby", true, false, true, false));
        assertEquals(List.of("FAILOVER_STARTED", "MAIN_NOT_SIGNING:m"), names(Rules.evaluate(o, state(), CFG)));
        Alert started = Rules.evaluate(o, state(), CFG).alerts().stream().filter(a -> a.name() == AlertName.FAILOVER_STARTED).findFirst().orElseThrow();
        assertTrue(started.summary().startsWith("no vote of v reached the chain for 3 rounds (holder: m)"), started.summary());
        // a validator outside the current set owes no votes
        Evidence outside = new Evidence(false, 50, 50, 100, 3, false, false, 0, 0, 0, 1000);
        assertEquals(List.of(), names(Rules.evaluate(obs("m", outside, status("holder", true, true, true, false),
                status("standby", true, false, true, false)), state(), CFG)));
    }

    @Test
    void twoSignersFromTheChainOrFromTheHostsOwnReports() {
        Observation chainSees = obs("m", chain(true, 2, false, 1, 1), status("holder", true, true, true, false), status("standby", true, false, true, false));
        assertEquals(List.of("TWO_SIGNERS"), names(Rules.evaluate(chainSees, state(), CFG)));
        // a handover: two signer instances in the window, one after the other, no double sign
        Observation handover = obs("m", chain(true, 2, false), status("holder", true, true, true, false), status("standby", true, false, true, false));
        assertEquals(List.of(), names(Rules.evaluate(handover, state(), CFG)));
        // a double sign recorded since the last check but outside the window (late votes, or a watchdog run from cron)
        WatchState s = state();
        Rules.remember(obs("m", chain(true, 1, false, 0, 4), status("holder", true, true, true, false), status("standby", true, false, true, false)), s, null);
        Observation late = obs("m", chain(true, 1, false, 0, 6), status("holder", true, true, true, false), status("standby", true, false, true, false));
        Alert a = Rules.evaluate(late, s, CFG).alerts().get(0);
        assertEquals(AlertName.TWO_SIGNERS, a.name());
        assertTrue(a.summary().startsWith("the chain recorded 2 double sign(s)"), a.summary());
        // the history before the first check is not news
        assertEquals(List.of(), names(Rules.evaluate(obs("m", chain(true, 1, false, 0, 4), status("holder", true, true, true, false),
                status("standby", true, false, true, false)), state(), CFG)));
        // both hosts say they sign: a handover's overlap of reports at the first look, two signers at the second
        Observation hostsSay = obs("m", chain(true, 1, false), status("holder", true, true, true, false), status("standby", true, true, true, false));
        WatchState own = state();
        assertEquals(List.of(), names(Rules.evaluate(hostsSay, own, CFG)));
        Observation stillSay = new Observation(NOW.plusSeconds(2), "v", "m", true, 3, 3, null, "m", 42, 2, hostsSay.hosts(), hostsSay.evidence(),
                null, null);
        assertEquals(List.of("TWO_SIGNERS"), names(Rules.evaluate(stillSay, own, CFG)));
        Rules.evaluate(healthy(), own, CFG);
        assertEquals(List.of(), names(Rules.evaluate(stillSay, own, CFG)), "cleared: a new overlap starts from zero");
    }

    @Test
    void afterAFailoverTheMainIsNotSigningAndTheReportCarriesTheDurations() {
        ObjectNode report = Json.object();
        report.put("epoch", 77).put("kind", "failover").put("host", "b").put("previousHolder", "m").put("previousLastVoteRound", 90)
                .put("acquiredAtRound", 94).put("roundMs", 1000).put("acquiredAtMs", NOW.toEpochMilli() - 2000)
                .put("firstSignedObservedAtMs", NOW.toEpochMilli() - 700).put("roundsLost", 4);
        Observation o = new Observation(NOW, "v", "m", true, 3, 3, null, "b", 77, 2,
                obs("b", chain(true, 1, false), null, status("holder", true, true, true, false)).hosts(), chain(true, 1, false), null, report);
        Rules.Verdict v = Rules.evaluate(o, state(), CFG);
        // the main, now the standby, is down: it could not take the role back either
        assertEquals(List.of("BACKUP_UNHEALTHY:m", "FAILOVER_COMPLETED:epoch 77", "MAIN_NOT_SIGNING:m"), names(v));
        Alert done = v.alerts().stream().filter(a -> a.name() == AlertName.FAILOVER_COMPLETED).findFirst().orElseThrow();
        assertEquals("4 rounds (4.0 s)", done.details().get("detection"));
        assertEquals("1300 ms", done.details().get("time to first signature"));
        assertEquals("4", done.details().get("rounds lost"));
        // an event is produced while it is recent (the dispatcher sends it once); an hour later it is history
        WatchState s = state();
        Rules.remember(o, s, null);
        assertTrue(names(Rules.evaluate(o, s, CFG)).contains("FAILOVER_COMPLETED:epoch 77"));
        ObjectNode old = report.deepCopy().put("acquiredAtMs", NOW.toEpochMilli() - 3_700_000).put("firstSignedObservedAtMs", NOW.toEpochMilli() - 3_699_000);
        Observation later = new Observation(NOW, "v", "m", true, 3, 3, null, "b", 77, 2, o.hosts(), o.evidence(), null, old);
        assertTrue(names(Rules.evaluate(later, s, CFG)).stream().noneMatch(n -> n.startsWith("FAILOVER_COMPLETED")));
    }

    @Test
    void theFailoverReportWaitsForTheFirstSignatureForAMinute() {
        ObjectNode report = Json.object();
        report.put("epoch", 78).put("kind", "failover").put("host", "b").put("previousHolder", "m").put("acquiredAtMs", NOW.toEpochMilli() - 5000);
        Observation o = new Observation(NOW, "v", "m", true, 3, 3, null, "b", 78, 2, healthy().hosts(), chain(true, 1, false), null, report);
        assertTrue(names(Rules.evaluate(o, state(), CFG)).stream().noneMatch(n -> n.startsWith("FAILOVER_COMPLETED")), "not before the first vote");
        ObjectNode late = report.deepCopy().put("acquiredAtMs", NOW.toEpochMilli() - 61_000);
        Observation after = new Observation(NOW, "v", "m", true, 3, 3, null, "b", 78, 2, healthy().hosts(), chain(true, 1, false), null, late);
        Alert a = Rules.evaluate(after, state(), CFG).alerts().stream().filter(x -> x.name() == AlertName.FAILOVER_COMPLETED).findFirst().orElseThrow();
        assertNull(a.details().get("time to first signature"), "a minute without it: sent without it");
        ObjectNode bootstrap = report.deepCopy().put("kind", "switchover").put("firstSignedObservedAtMs", NOW.toEpochMilli());
        Observation planned = new Observation(NOW, "v", "m", true, 3, 3, null, "b", 78, 2, healthy().hosts(), chain(true, 1, false), null, bootstrap);
        assertTrue(names(Rules.evaluate(planned, state(), CFG)).stream().noneMatch(n -> n.startsWith("FAILOVER_COMPLETED")), "a switchover is not a failover");
    }

    @Test
    void aStandbyThatCannotTakeOverIsUnhealthyWithTheReason() {
        Observation stale = obs("m", chain(true, 1, false), status("holder", true, true, true, false), null);
        Alert a = Rules.evaluate(stale, state(), CFG).alerts().get(0);
        assertEquals(AlertName.BACKUP_UNHEALTHY, a.name());
        assertTrue(a.summary().contains("publishes no status"), a.summary());
        Observation lagging = obs("m", chain(true, 1, false), status("holder", true, true, true, false), status("standby", false, false, true, false));
        assertTrue(Rules.evaluate(lagging, state(), CFG).alerts().get(0).summary().contains("out of sync (9 rounds behind)"));
        Observation o = healthy();
        List<Observation.HostView> hosts = List.of(o.hosts().get(0), new Observation.HostView("b", HostEntry.Role.BACKUP,
                o.hosts().get(1).status(), 1000, false, "10.0.0.2:22: Connection refused"));
        Observation noSsh = new Observation(NOW, "v", "m", true, 3, 3, null, "m", 42, 2, hosts, o.evidence(), null, null);
        assertTrue(Rules.evaluate(noSsh, state(), CFG).alerts().get(0).summary().contains("unreachable over SSH"));
    }

    @Test
    void missingKeysForTheNextPeriodAlertAfterTheGraceAndBeforeThePeriodStarts() {
        Observation o = obs("m", chain(true, 1, true), status("holder", true, true, true, true), status("standby", true, false, true, false));
        WatchState s = state();
        assertEquals(List.of(), names(Rules.evaluate(o, s, CFG)), "within the grace: a bundle may be on its way");
        Observation later = new Observation(NOW.plusSeconds(31), o.validator(), o.mainHost(), true, 3, 3, null, "m", 42, 2, o.hosts(),
                o.evidence(), null, null);
        Rules.Verdict v = Rules.evaluate(later, s, CFG);
        assertEquals(List.of("KEYS_MISSING_FOR_PERIOD:b#next"), names(v));
        assertEquals("critical", v.alerts().get(0).severity());
        assertTrue(v.alerts().get(0).summary().contains("next period 6"), v.alerts().get(0).summary());
        // b becomes the holder and later a standby again: its grace starts afresh, not from the old entry
        Rules.evaluate(new Observation(NOW.plusSeconds(40), "v", "m", true, 3, 3, null, "b", 43, 2, o.hosts(), o.evidence(), null, null), s, CFG);
        Observation backToStandby = new Observation(NOW.plusSeconds(50), "v", "m", true, 3, 3, null, "m", 44, 2, o.hosts(), o.evidence(), null, null);
        assertEquals(List.of(), names(Rules.evaluate(backToStandby, s, CFG)));
        // a node that does not know its period yet is not missing keys "for period -1"
        ObjectNode unknown = status("standby", true, false, false, false).put("currentPeriod", -1).put("nextPeriod", -1);
        WatchState s2 = state();
        Rules.evaluate(obs("m", chain(true, 1, true), status("holder", true, true, true, true), unknown), s2, CFG);
        Observation unknownLater = new Observation(NOW.plusSeconds(31), "v", "m", true, 3, 3, null, "m", 42, 2,
                obs("m", chain(true, 1, true), status("holder", true, true, true, true), unknown).hosts(), chain(true, 1, true), null, null);
        assertEquals(List.of(), names(Rules.evaluate(unknownLater, s2, CFG)).stream().filter(n -> n.startsWith("KEYS")).toList());
    }

    @Test
    void aStandbyWithOlderKeysThanTheHoldersIsMissingKeysWithItsOwnReason() {
        ObjectNode behind = status("standby", true, false, true, false);
        ((ObjectNode) behind.path("keys")).put("nextBehind", "the keys for period 6 are not those m signs with (its [B2], this"
                + " host's [A1]); waiting for its newer bundle");
        Observation o = obs("m", chain(true, 1, true), status("holder", true, true, true, true), behind);
        WatchState s = state();
        Rules.evaluate(o, s, CFG);
        Observation later = new Observation(NOW.plusSeconds(31), o.validator(), o.mainHost(), true, 3, 3, null, "m", 42, 2, o.hosts(),
                o.evidence(), null, null);
        Alert a = Rules.evaluate(later, s, CFG).alerts().get(0);
        assertEquals(AlertName.KEYS_MISSING_FOR_PERIOD, a.name());
        assertTrue(a.summary().startsWith("b: the keys for period 6 are not those m signs with") && a.summary().endsWith("(missing for 31 s)"),
                a.summary());
    }

    @Test
    void aRejectedBundleIsAnEventNamedByItsTime() {
        WatchState s = state();
        ObjectNode b = status("standby", true, false, true, false);
        String at = NOW.minusSeconds(20).toString();
        b.putObject("bundles").put("quarantined", 1).putObject("lastRejection").put("reason", "BAD_SIGNATURE").put("message", "altered")
                .put("at", at);
        Observation rejected = obs("m", chain(true, 1, false), status("holder", true, true, true, false), b);
        Rules.Verdict v = Rules.evaluate(rejected, s, CFG);
        assertEquals(List.of("BUNDLE_REJECTED:b " + at), names(v));
        assertTrue(v.alerts().get(0).summary().contains("BAD_SIGNATURE"));
        assertTrue(v.alerts().get(0).name().event(), "sent once by the dispatcher, whatever the checks produce");
        ((ObjectNode) b.get("bundles").get("lastRejection")).put("at", NOW.minusSeconds(3700).toString());
        assertEquals(List.of(), names(Rules.evaluate(rejected, s, CFG)), "an old rejection is history");
    }

    @Test
    void aHolderRefusingToPushForAChangedHostKeyIsCriticalAtOnceAndNamesTheFingerprint() {
        ObjectNode m = status("holder", true, true, true, false);
        m.putObject("push").putObject("refused").putObject("b").put("message",
                "host key of 10.77.0.12 CHANGED (now SHA256:abc, /etc/understudy/ssh/known_hosts pins another)").put("at", NOW.toString());
        Observation o = obs("m", chain(true, 1, false), m, status("standby", true, false, true, false));
        Rules.Verdict v = Rules.evaluate(o, state(), CFG);
        assertEquals(List.of("PUSH_REFUSED:m->b"), names(v));
        Alert a = v.alerts().get(0);
        assertEquals("critical", a.severity());
        assertTrue(a.summary().contains("m refuses to send keys to b") && a.summary().contains("SHA256:abc"), a.summary());
        m.remove("push");
        assertEquals(List.of(), names(Rules.evaluate(o, state(), CFG)), "resolved once the host pushes to it again");
    }

    @Test
    void aHolderThatIsAliveButNotHeardOnTheChainIsAskedToStepDown() {
        Evidence silent = new Evidence(false, 70, 70, 100, 3, true, false, 0, 0, 0, 1000);
        Observation o = obs("m", silent, status("holder", true, true, true, false), status("standby", true, false, true, false));
        Rules.Verdict v = Rules.evaluate(o, state(), CFG);
        assertNotNull(v.demoteReason());
        assertTrue(v.demoteReason().contains("no vote for 30 rounds"), v.demoteReason());
        WatchState s = state();
        Rules.remember(o, s, v.demoteReason());
        assertNull(Rules.evaluate(o, s, CFG).demoteReason(), "one demote request per epoch");
        WatchState fresh = state();
        fresh.lastEpoch = 41;
        assertNull(Rules.evaluate(o, fresh, CFG).demoteReason(), "a holder new since the last check is not judged yet");
    }

    @Test
    void aWarningMustLastItsPendingTimeButACriticalAlertCountsAtOnce() {
        WatchdogSettings pendingCfg = new WatchdogSettings(CFG.interval(), CFG.statusStale(), CFG.keysGrace(), 22, CFG.sshTimeout(),
                CFG.metricsFile(), 20, CFG.heartbeatStale(), 3, Duration.ofSeconds(30), CFG.noSigner());
        WatchState s = state();
        // the backup out of sync (a warning) and two signers on the chain (critical)
        Observation o = obs("m", chain(true, 2, false, 1, 1), status("holder", true, true, true, false), status("standby", false, false, true, false));
        assertEquals(List.of("TWO_SIGNERS"), names(Rules.evaluate(o, s, pendingCfg)));
        Observation later = new Observation(NOW.plusSeconds(20), "v", "m", true, 3, 3, null, "m", 42, 2, o.hosts(), o.evidence(), null, null);
        assertEquals(List.of("TWO_SIGNERS"), names(Rules.evaluate(later, s, pendingCfg)));
        Observation after = new Observation(NOW.plusSeconds(31), "v", "m", true, 3, 3, null, "m", 42, 2, o.hosts(), o.evidence(), null, null);
        assertEquals(List.of("BACKUP_UNHEALTHY:b", "TWO_SIGNERS"), names(Rules.evaluate(after, s, pendingCfg)));
        // once it clears, it starts from zero again
        Rules.evaluate(healthy(), s, pendingCfg);
        Observation again = new Observation(NOW.plusSeconds(40), "v", "m", true, 3, 3, null, "m", 42, 2, o.hosts(), chain(true, 1, false), null, null);
        assertEquals(List.of(), names(Rules.evaluate(again, s, pendingCfg)));
    }
}
