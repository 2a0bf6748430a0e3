package dev.understudy.coordination;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.understudy.testing.EtcdProcess;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The etcd client against a real etcd with TLS, client certificates and auth, as in production. */
class EtcdTest {
    @TempDir
    static Path dir;
    static EtcdProcess etcd;
    static Etcd client;
    static final Duration T = Duration.ofSeconds(2);

    @BeforeAll
    static void start() throws Exception {
        etcd = new EtcdProcess(dir.resolve("etcd"), 2);
        client = etcd.client(Duration.ofMillis(700));
    }

    @AfterAll
    static void stop() throws Exception {
        etcd.close();
    }

    @Test
    void acquireIsExclusiveWritesTheEpochKeyAndReleaseLeavesAProof() throws Exception {
        String leader = "/understudy/v/leader";
        String epochKey = "/understudy/v/epoch";
        String released = "/understudy/v/released";
        Etcd.Created a = client.acquire(leader, "main", 0, epochKey, "{}", -1, null, null, T);
        assertTrue(a.created());
        long epoch = a.current().createRevision();
        assertEquals(epoch, client.get(epochKey, T).orElseThrow().modRevision(), "the epoch key is written with the leader key");
        Etcd.Created b = client.acquire(leader, "backup", 0, epochKey, "{}", -1, null, null, T);
        assertFalse(b.created());
        assertEquals("main", b.current().value());
        assertEquals(epoch, b.current().createRevision());
        assertFalse(client.release(leader, epoch + 1, released, "{}", T), "a release must name the epoch it gives up");
        assertTrue(client.get(released, T).isEmpty(), "no record without the release");
        assertTrue(client.release(leader, epoch, released, "{\"epoch\":" + epoch + "}", T));
        assertTrue(client.get(leader, T).isEmpty());
        assertEquals("{\"epoch\":" + epoch + "}", client.get(released, T).orElseThrow().value());
        Etcd.Created stale = client.acquire(leader, "backup", 0, epochKey, "{}", epoch - 1, null, null, T);
        assertFalse(stale.created(), "a leader key was made since the epoch key the caller expects: no acquisition");
        assertNull(stale.current());
        Etcd.Created c = client.acquire(leader, "backup", 0, epochKey, "{}", epoch, null, null, T);
        assertTrue(c.created());
        assertTrue(c.current().createRevision() > epoch, "each holder gets a higher epoch");
        Etcd.Range r = client.range("/understudy/v/", T);
        assertTrue(r.revision() >= c.current().createRevision(), "a range is read at one revision, the latest");
        client.put("/understudy/v/reports/1", "{}", 0, T);
        client.put("/understudy/v/status/main", "{}", 0, T);
        Etcd.Range tick = client.range("/understudy/v/", "reports/", T);
        assertEquals(java.util.List.of("/understudy/v/epoch", "/understudy/v/leader", "/understudy/v/released", "/understudy/v/status/main"),
                tick.kvs().stream().map(Etcd.KeyValue::key).toList(), "everything but the reports, in key order");
        assertTrue(tick.revision() > r.revision());
        client.delete("/understudy/v/reports/1", T);
        client.delete("/understudy/v/status/main", T);
        for (String k : new String[] {leader, epochKey, released}) {
            client.delete(k, T);
        }
    }

    /**
     * What least privilege rests on (the etcd role's users, docs/coordination.md): a user that may not write the leader
     * key can neither delete it, nor revoke the lease it lives on, nor write a switchover request or a release record.
     */
    @Test
    void aUserWhoMayWriteOnlyDemoteCannotTouchTheRoleOrItsLease() throws Exception {
        etcd.ctl("role", "add", "monitor-only");
        etcd.ctl("role", "grant-permission", "monitor-only", "--prefix=true", "read", "/understudy/");
        etcd.ctl("role", "grant-permission", "monitor-only", "readwrite", "/understudy/w/demote");
        etcd.ctl("user", "add", "monitor-only", "--new-user-password=monitor-" + EtcdProcess.PASSWORD);
        etcd.ctl("user", "grant-role", "monitor-only", "monitor-only");
        Etcd monitor = etcd.client("monitor-only", "monitor-" + EtcdProcess.PASSWORD, Duration.ofMillis(700));
        long lease = client.grant(30, T);
        Etcd.Created held = client.acquire("/understudy/w/leader", "{\"holder\":\"main\"}", lease, "/understudy/w/epoch", "{}", -1, null, null, T);
        assertTrue(held.created());
        assertTrue(monitor.get("/understudy/w/leader", T).isPresent(), "it reads");
        for (org.junit.jupiter.api.function.Executable denied : java.util.List.<org.junit.jupiter.api.function.Executable>of(
                () -> monitor.delete("/understudy/w/leader", T),
                () -> monitor.revoke(lease, T),
                () -> monitor.put("/understudy/w/switchover", "{\"to\":\"backup\"}", 0, T),
                () -> monitor.release("/understudy/w/leader", held.current().createRevision(), "/understudy/w/released", "{}", T),
                () -> monitor.put("/understudy/w/epoch", "{}", 0, T))) {
            EtcdException e = assertThrows(EtcdException.class, denied);
            assertTrue(e.getMessage().contains("permission denied"), e.getMessage());
        }
        assertTrue(client.get("/understudy/w/leader", T).isPresent(), "the role is untouched");
        assertTrue(client.timeToLive(lease, T) > 0, "and so is its lease");
        long demoteLease = monitor.grant(60, T);
        monitor.put("/understudy/w/demote", "{\"epoch\":1}", demoteLease, T);
        client.revoke(lease, T);
        client.delete("/understudy/w/epoch", T);
        client.delete("/understudy/w/demote", T);
    }

    @Test
    void aKeyOnALeaseLivesWhileKeptAliveAndGoesWithIt() throws Exception {
        long lease = client.grant(2, T);
        client.put("/understudy/v/status/main", "{}", lease, T);
        for (int i = 0; i < 4; i++) {
            Thread.sleep(600);
            assertTrue(client.keepAlive(lease, T) > 0);
        }
        assertTrue(client.get("/understudy/v/status/main", T).isPresent(), "kept alive past its TTL");
        assertTrue(client.timeToLive(lease, T) > 0);
        client.revoke(lease, T);
        assertTrue(client.get("/understudy/v/status/main", T).isEmpty());
        assertEquals(0, client.keepAlive(lease, T), "a revoked lease cannot be kept alive");
    }

    @Test
    void aPrefixReadReturnsExactlyTheKeysUnderIt() throws Exception {
        client.put("/understudy/p/status/a", "1", 0, T);
        client.put("/understudy/p/status/b", "2", 0, T);
        client.put("/understudy/p/statusx", "3", 0, T);
        assertEquals(java.util.List.of("/understudy/p/status/a", "/understudy/p/status/b"),
                client.prefix("/understudy/p/status/", T).stream().map(Etcd.KeyValue::key).toList());
    }

    @Test
    void authIsEnforcedAndTokensAreRenewed() throws Exception {
        EtcdException denied = assertThrows(EtcdException.class, () -> client.put("/elsewhere", "x", 0, T));
        assertFalse(denied.unreachable());
        assertTrue(denied.getMessage().contains("permission denied"), denied.getMessage());
        Thread.sleep(2500);
        client.put("/understudy/v/after-token-expiry", "ok", 0, T);
        assertEquals("ok", client.get("/understudy/v/after-token-expiry", T).orElseThrow().value());
        Etcd wrong = new Etcd(java.util.List.of(etcd.endpoint()), dev.understudy.common.PemTls.context(
                etcd.dir.resolve("ca.crt"), etcd.dir.resolve("client.crt"), etcd.dir.resolve("client.key")),
                "understudy", "wrong", Duration.ofMillis(700));
        EtcdException bad = assertThrows(EtcdException.class, () -> wrong.get("/understudy/x", T));
        assertFalse(bad.unreachable());
    }

    @Test
    void anUnreachableClusterCostsNoMoreThanTheDeadline() throws Exception {
        etcd.freeze();
        try {
            long t0 = System.nanoTime();
            EtcdException e = assertThrows(EtcdException.class, () -> client.get("/understudy/x", Duration.ofMillis(800)));
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(e.unreachable(), e.getMessage());
            assertTrue(ms < 1200, "took " + ms + " ms for an 800 ms deadline");
        } finally {
            etcd.thaw();
        }
        assertTrue(client.get("/understudy/x", T).isEmpty(), "works again after the thaw");
    }

    /**
     * A member that hangs (isolated: its TCP connections go nowhere) costs at most one call: the client then starts
     * at the next endpoint. Before, a deadline that allowed one attempt kept every call on the hung member, so a
     * holder fenced itself and a standby never saw the leader key go, whenever its first endpoint was cut off.
     */
    @Test
    void aHungMemberCostsOneCallThenTheNextEndpointIsUsed() throws Exception {
        try (java.net.ServerSocket hole = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            Etcd two = etcd.client(java.util.List.of(java.net.URI.create("https://127.0.0.1:" + hole.getLocalPort()), etcd.endpoint()),
                    Duration.ofMillis(300));
            Duration oneAttempt = Duration.ofMillis(300);
            try {
                two.get("/understudy/x", oneAttempt);
            } catch (EtcdException e) {
                assertTrue(e.unreachable(), e.getMessage());
            }
            for (int i = 0; i < 3; i++) {
                assertTrue(two.get("/understudy/x", oneAttempt).isEmpty(), "call " + i + " after the hung one");
            }
        }
    }
}
