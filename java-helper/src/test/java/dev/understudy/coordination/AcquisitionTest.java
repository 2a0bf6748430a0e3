package dev.understudy.coordination;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.understudy.config.Config;
import dev.understudy.config.CoordinationSettings;
import dev.understudy.testing.Deployment;
import dev.understudy.testing.EtcdProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Taking the role on a shared backup against a real etcd: several validators' instances on one host, each
 * taking its own validator's role together with one of the host's capacity slots, in priority order.
 */
class AcquisitionTest {
    @TempDir
    static Path dir;
    static EtcdProcess etcd;
    static Etcd client;
    static Deployment d;
    static final Duration T = Duration.ofSeconds(2);
    static final String SLOTS = "/understudy/@hosts/lab-backup/slots/";
    final AtomicLong clock = new AtomicLong(1_000_000_000L);

    @BeforeAll
    static void start() throws Exception {
        etcd = new EtcdProcess(dir.resolve("etcd"));
        client = etcd.client(Duration.ofMillis(700));
        d = new Deployment(dir.resolve("deployment"));
        Files.writeString(dir.resolve("etcd-password"), EtcdProcess.PASSWORD);
    }

    @AfterAll
    static void stop() throws Exception {
        etcd.close();
    }

    /** The settings of the backup's instance for {@code validator}, with {@code sharedBackup} (a YAML flow map; null: none). */
    static CoordinationSettings settings(String validator, String sharedBackup) throws Exception {
        Path f = dir.resolve(validator + ".yml");
        Files.writeString(f, d.config("lab-backup", "http://127.0.0.1:7701", dir.resolve("home"), "http://127.0.0.1:7700", 2222)
                .replace("validator: val1\n", "validator: " + validator + "\n")
                + "coordination:\n"
                + etcd.clientSettings(dir.resolve("etcd-password"))
                + "  lease_ttl_ms: 3000\n"
                + "  margin_ms: 1000\n"
                + "  request_timeout_ms: 700\n"
                + "  poll_interval_ms: 100\n"
                + (sharedBackup == null ? "" : "  shared_backup: " + sharedBackup + "\n"));
        return Config.load(f).coordination();
    }

    Acquisition instance(String validator, String sharedBackup) throws Exception {
        return new Acquisition(client, settings(validator, sharedBackup), "lab-backup", validator, null, m -> { }, validator + ": ",
                clock::get);
    }

    static Action.Acquire decided() {
        return new Action.Acquire("evidence", false, -1, -1, -1, "lab-main", 0, null);
    }

    @Test
    void theHostNeverHoldsMoreRolesThanSlotsAndAFreedSlotIsTakenAgain() throws Exception {
        Acquisition v1 = instance("cap1", "{capacity: 2}");
        Acquisition v2 = instance("cap2", "{capacity: 2}");
        Acquisition v3 = instance("cap3", "{capacity: 2}");
        Acquisition.Taken t1 = assertInstanceOf(Acquisition.Taken.class, v1.attempt(decided()));
        Acquisition.Taken t2 = assertInstanceOf(Acquisition.Taken.class, v2.attempt(decided()));
        assertEquals(SLOTS + "1", t1.slot());
        assertEquals(SLOTS + "2", t2.slot());
        Etcd.KeyValue s1 = client.get(SLOTS + "1", T).orElseThrow();
        assertEquals("cap1", s1.value(), "the slot names the validator it carries");
        assertEquals(t1.lease(), s1.lease(), "the slot lives on the role's lease");
        assertEquals(t1.lease(), client.get("/understudy/cap1/leader", T).orElseThrow().lease());

        Acquisition.NoSlot full = assertInstanceOf(Acquisition.NoSlot.class, v3.attempt(decided()));
        assertEquals(List.of("cap1", "cap2"), full.holders());
        assertTrue(client.get("/understudy/cap3/leader", T).isEmpty(), "no role without a slot");

        // the first validator's role ends (released, or its lease expired after a fence): its slot goes with it
        client.revoke(t1.lease(), T);
        assertTrue(client.get(SLOTS + "1", T).isEmpty());
        Acquisition.Taken t3 = assertInstanceOf(Acquisition.Taken.class, v3.attempt(decided()));
        assertEquals(SLOTS + "1", t3.slot());
        client.revoke(t2.lease(), T);
        client.revoke(t3.lease(), T);
    }

    @Test
    void aSlotTakenBetweenTheLookAndTheTransactionIsNotTakenTwice() throws Exception {
        // another instance's transaction lands between this one's look at the slots and its own transaction
        Etcd.Created c = client.acquire("/understudy/race2/leader", "{}", client.grant(30, T), "/understudy/race2/epoch", "{}", -1,
                SLOTS + "1", "race2", T);
        assertTrue(c.created());
        long lease = client.grant(30, T);
        Etcd.Created lost = client.acquire("/understudy/race1/leader", "{}", lease, "/understudy/race1/epoch", "{}", -1, SLOTS + "1",
                "race1", T);
        assertFalse(lost.created());
        assertNull(lost.current(), "no leader key of race1 was made");
        assertEquals("race2", lost.slot().value());
        assertTrue(client.get("/understudy/race1/epoch", T).isEmpty(), "nothing of the failed transaction was written");
        client.revoke(lease, T);
        client.revoke(c.current().lease(), T);
    }

    @Test
    void aLowerRankWaitsItsTurnFromTheFirstOfARunOfDecisions() throws Exception {
        Acquisition rank3 = instance("rank3", "{capacity: 1, priority: 3, priority_step_ms: 1000}");
        Acquisition.Waiting w = assertInstanceOf(Acquisition.Waiting.class, rank3.attempt(decided()));
        assertEquals(2000, w.leftMs(), "(3 - 1) x 1000 ms");
        clock.addAndGet(Duration.ofMillis(1500).toNanos());
        assertEquals(500, assertInstanceOf(Acquisition.Waiting.class, rank3.attempt(decided())).leftMs());
        // a pause in the decisions (the role was taken meanwhile, the node fell out of sync) starts the wait again
        clock.addAndGet(Duration.ofSeconds(10).toNanos());
        assertEquals(2000, assertInstanceOf(Acquisition.Waiting.class, rank3.attempt(decided())).leftMs());
        for (int i = 0; i < 20; i++) {
            clock.addAndGet(Duration.ofMillis(100).toNanos());
            if (i < 19) {
                assertInstanceOf(Acquisition.Waiting.class, rank3.attempt(decided()));
            }
        }
        Acquisition.Taken t = assertInstanceOf(Acquisition.Taken.class, rank3.attempt(decided()));
        Acquisition rank1 = instance("rank1", "{capacity: 1, priority: 1, priority_step_ms: 1000}");
        assertEquals(List.of("rank3"), assertInstanceOf(Acquisition.NoSlot.class, rank1.attempt(decided())).holders(),
                "rank 1 takes at once, but the one slot is held, and nothing is preempted");
        client.revoke(t.lease(), T);
    }

    @Test
    void ranksThatWaitedForAFullHostTogetherTakeTheFreedSlotInOrder() throws Exception {
        long other = client.grant(30, T);
        client.put(SLOTS + "1", "busy", other, T);
        Acquisition first = instance("order1", "{capacity: 1, priority: 1, priority_step_ms: 1000}");
        Acquisition second = instance("order2", "{capacity: 1, priority: 2, priority_step_ms: 1000}");
        for (int i = 0; i < 5; i++) {
            clock.addAndGet(Duration.ofSeconds(1).toNanos());
            assertInstanceOf(Acquisition.NoSlot.class, second.attempt(decided()));
            assertInstanceOf(Acquisition.NoSlot.class, first.attempt(decided()));
        }
        client.revoke(other, T);
        clock.addAndGet(Duration.ofMillis(100).toNanos());
        // rank 2 looks first, but its wait counts from the slot it now sees free, not from its first decision
        assertEquals(1000, assertInstanceOf(Acquisition.Waiting.class, second.attempt(decided())).leftMs());
        Acquisition.Taken t = assertInstanceOf(Acquisition.Taken.class, first.attempt(decided()));
        clock.addAndGet(Duration.ofMillis(1000).toNanos());
        assertEquals(List.of("order1"), assertInstanceOf(Acquisition.NoSlot.class, second.attempt(decided())).holders());
        client.revoke(t.lease(), T);
    }

    @Test
    void aLoweredCapacityCountsEverySlotStillHeld() throws Exception {
        long lease = client.grant(30, T);
        client.put(SLOTS + "3", "old", lease, T);
        client.put(SLOTS + "4", "older", lease, T);
        Acquisition small = instance("low1", "{capacity: 2}");
        assertEquals(List.of("old", "older"), assertInstanceOf(Acquisition.NoSlot.class, small.attempt(decided())).holders());
        client.revoke(lease, T);
    }

    @Test
    void withoutASharedBackupNoSlotIsUsed() throws Exception {
        Acquisition solo = instance("solo", null);
        Acquisition.Taken t = assertInstanceOf(Acquisition.Taken.class, solo.attempt(decided()));
        assertNull(t.slot());
        assertTrue(client.prefix(SLOTS, T).stream().noneMatch(kv -> kv.value().equals("solo")));
        client.revoke(t.lease(), T);
    }
}
