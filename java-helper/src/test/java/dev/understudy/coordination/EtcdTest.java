package dev.understudy.coordination;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
    void createIfAbsentIsExclusiveAndItsRevisionIsTheEpoch() throws Exception {
        Etcd.Created a = client.createIfAbsent("/understudy/v/leader", "main", 0, T);
        assertTrue(a.created());
        Etcd.Created b = client.createIfAbsent("/understudy/v/leader", "backup", 0, T);
        assertFalse(b.created());
        assertEquals("main", b.current().value());
        assertEquals(a.current().createRevision(), b.current().createRevision());
        assertFalse(client.deleteIfCreated("/understudy/v/leader", a.current().createRevision() + 1, T),
                "a delete must name the epoch it releases");
        assertTrue(client.deleteIfCreated("/understudy/v/leader", a.current().createRevision(), T));
        assertTrue(client.get("/understudy/v/leader", T).isEmpty());
        Etcd.Created c = client.createIfAbsent("/understudy/v/leader", "backup", 0, T);
        assertTrue(c.created());
        assertTrue(c.current().createRevision() > a.current().createRevision(), "each holder gets a higher epoch");
        client.delete("/understudy/v/leader", T);
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
