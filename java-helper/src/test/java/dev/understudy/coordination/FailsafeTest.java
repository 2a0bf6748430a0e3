package dev.understudy.coordination;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.understudy.cli.BadInputException;
import dev.understudy.identity.SigningKey;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The failsafe's parts on their own: the signed datagrams, the standby's promises and the gate they put on taking
 * the role (also across a restart), and the holder's count of grants. AgentTest runs them between real agents.
 */
final class FailsafeTest {
    @TempDir
    Path dir;

    final SigningKey mainKey = SigningKey.generate();
    final SigningKey otherKey = SigningKey.generate();
    final AtomicLong nanos = new AtomicLong(1_000_000_000L);
    static final long WALL = 1_800_000_000_000L;

    FailsafeMessage.Request request(long epoch, long sentMs) {
        return new FailsafeMessage.Request("val1", "lab-main", epoch, sentMs, List.of("lab-backup"));
    }

    static FailsafeMessage.Signed parse(byte[] d) throws BadInputException {
        return FailsafeMessage.parse(d, d.length);
    }

    // ------------------------------------------------------------------ datagrams

    @Test
    void aRequestAndAnAnswerRoundTripAndVerifyOnlyAgainstTheSendersKey() throws Exception {
        FailsafeMessage.Signed s = parse(FailsafeMessage.encode(request(42, WALL).body(), mainKey));
        assertEquals(request(42, WALL), s.message());
        assertEquals("lab-main", s.sender());
        assertTrue(s.verifies(List.of(mainKey.verifyKey())));
        assertFalse(s.verifies(List.of(otherKey.verifyKey())), "another host's key");
        assertFalse(s.verifies(List.of()), "no configured key");

        FailsafeMessage.Answer a = new FailsafeMessage.Answer("val1", "lab-backup", "lab-main", 42, WALL, false, "a\nmulti-line reason");
        FailsafeMessage.Signed sa = parse(FailsafeMessage.encode(a.body(), otherKey));
        assertEquals(a, sa.message());
        assertEquals("a multi-line reason", ((FailsafeMessage.Answer) sa.message()).reason());
        assertTrue(sa.verifies(List.of(otherKey.verifyKey())));
    }

    @Test
    void aChangedByteBreaksTheSignature() throws Exception {
        String d = new String(FailsafeMessage.encode(request(42, WALL).body(), mainKey), StandardCharsets.UTF_8);
        byte[] forged = d.replace("\n42\n", "\n43\n").getBytes(StandardCharsets.UTF_8);
        FailsafeMessage.Signed s = parse(forged);
        assertEquals(43, ((FailsafeMessage.Request) s.message()).epoch());
        assertFalse(s.verifies(List.of(mainKey.verifyKey())));
    }

    @Test
    void malformedDatagramsAreRefusedSayingWhat() {
        byte[] big = new byte[FailsafeMessage.MAX_BYTES + 1];
        assertTrue(assertThrows(BadInputException.class, () -> FailsafeMessage.parse(big, big.length)).getMessage().contains("at most"));
        assertThrows(BadInputException.class, () -> parse("no signature".getBytes(StandardCharsets.UTF_8)));
        assertThrows(BadInputException.class, () -> parse("hello\nworld\n!!notbase64".getBytes(StandardCharsets.UTF_8)));
        String bad = FailsafeMessage.REQUEST + "\nval1\nlab-main\nforty\n1\nlab-backup\nAAAA";
        assertTrue(assertThrows(BadInputException.class, () -> parse(bad.getBytes(StandardCharsets.UTF_8))).getMessage()
                .contains("'forty' is not a number"));
        String host = FailsafeMessage.REQUEST + "\nval1\nlab main\n4\n1\nlab-backup\nAAAA";
        assertTrue(assertThrows(BadInputException.class, () -> parse(host.getBytes(StandardCharsets.UTF_8))).getMessage()
                .contains("not a host or validator name"));
    }

    // ------------------------------------------------------------------ the standby's promises

    PromiseDesk desk() {
        return new PromiseDesk(dir, Duration.ofMillis(3000), nanos::get, "[test] ");
    }

    @Test
    void aGrantIsWrittenToDiskAndHoldsTakingOffForItsLength() throws Exception {
        PromiseDesk d = desk();
        assertTrue(d.beginTaking(), "no promise yet");
        d.endTaking();
        FailsafeMessage.Answer a = d.consider(request(7, WALL), "lab-backup", WALL + 100, r -> null);
        assertTrue(a.granted(), a.toString());
        assertEquals(WALL, a.requestMs());
        assertTrue(Files.readString(dir.resolve(PromiseDesk.FILE)).contains("\"to\":\"lab-main\""));
        nanos.addAndGet(2_999_000_000L);
        assertFalse(d.beginTaking(), "1 ms before the promise ends");
        assertNotNull(d.promise());
        nanos.addAndGet(1_000_000L);
        assertTrue(d.beginTaking(), "the promise ended");
        assertFalse(Files.exists(dir.resolve(PromiseDesk.FILE)), "an ended promise's file is removed");
    }

    @Test
    void anAgentThatStartsWithAPromiseOnDiskWaitsAWholePromise() throws Exception {
        desk().consider(request(7, WALL), "lab-backup", WALL, r -> null);
        nanos.addAndGet(60_000_000_000L); // a restart a minute later: the file says nothing about how much is left
        PromiseDesk restarted = desk();
        assertFalse(restarted.beginTaking());
        nanos.addAndGet(3_000_000_000L);
        assertTrue(restarted.beginTaking());
    }

    @Test
    void refusalsGrantNothing() {
        PromiseDesk d = desk();
        assertFalse(d.consider(request(7, WALL), "lab-backup", WALL, r -> "holds the role").granted());
        PromiseDesk.Standing chainSilent = new PromiseDesk.Standing() {
            @Override
            public String refusal(FailsafeMessage.Request r) {
                return null;
            }

            @Override
            public String slowRefusal(FailsafeMessage.Request r) {
                return "the chain shows no vote of the key";
            }
        };
        FailsafeMessage.Answer silent = d.consider(request(7, WALL), "lab-backup", WALL, chainSilent);
        assertFalse(silent.granted());
        assertEquals("the chain shows no vote of the key", silent.reason());
        assertFalse(d.consider(request(7, WALL - 6000), "lab-backup", WALL, r -> null).granted(), "stale");
        assertFalse(d.consider(request(7, WALL + 6000), "lab-backup", WALL, r -> null).granted(), "from the future");
        assertTrue(d.beginTaking(), "nothing was promised");
        assertFalse(d.consider(request(7, WALL), "lab-backup", WALL, r -> null).granted(), "while taking the role");
        d.endTaking();
        assertFalse(Files.exists(dir.resolve(PromiseDesk.FILE)));
        assertTrue(d.consider(request(7, WALL + 1), "lab-backup", WALL, r -> null).granted());
        FailsafeMessage.Answer replay = d.consider(request(7, WALL + 1), "lab-backup", WALL + 500, r -> null);
        assertFalse(replay.granted());
        assertTrue(replay.reason().contains("replay"), replay.reason());
    }

    // ------------------------------------------------------------------ two links over loopback

    /**
     * Two agents' links: a request signed by a stranger claiming to be the main, and junk, change nothing; the main's
     * own request is granted and counted (replays: {@link #refusalsGrantNothing}).
     */
    @Test
    void overTheWireOnlyTheMainsOwnRequestIsGranted() throws Exception {
        dev.understudy.testing.Deployment d = new dev.understudy.testing.Deployment(dir.resolve("d"));
        d.writeConfigs(new dev.understudy.testing.Deployment.Nodes("http://127.0.0.1:1", "http://127.0.0.1:2", dir.resolve("m"),
                "http://127.0.0.1:3", dir.resolve("b")), 22);
        dev.understudy.config.Config mc = dev.understudy.config.Config.load(d.mainConfig);
        dev.understudy.config.Config bc = dev.understudy.config.Config.load(d.backupConfig);
        java.util.Map<String, List<dev.understudy.identity.VerifyKey>> keys = java.util.Map.of(
                "lab-main", List.of(d.mainId.signing().verifyKey()), "lab-backup", List.of(d.backupId.signing().verifyKey()));
        Path backupState = dir.resolve("backup-state");
        Files.createDirectories(backupState);
        PromiseDesk backupDesk = new PromiseDesk(backupState, Duration.ofMillis(3000), System::nanoTime, "[backup] ");
        try (FailsafeLink main = FailsafeLink.open(mc, keys::get, new PromiseDesk(dir, Duration.ofMillis(3000), System::nanoTime,
                "[main] "), "[main] ");
                FailsafeLink backup = FailsafeLink.open(bc, keys::get, backupDesk, "[backup] ");
                java.net.DatagramSocket stranger = new java.net.DatagramSocket(0, java.net.InetAddress.getLoopbackAddress())) {
            assertNotNull(main);
            assertNotNull(backup);
            backup.answer(r -> null);
            java.net.InetSocketAddress to = new java.net.InetSocketAddress("127.0.0.1", d.backupAgentPort);
            FailsafeMessage.Request forged = new FailsafeMessage.Request("val1", "lab-main", 5, System.currentTimeMillis(),
                    List.of("lab-backup"));
            byte[] f = FailsafeMessage.encode(forged.body(), otherKey);
            stranger.send(new java.net.DatagramPacket(f, f.length, to));
            byte[] junk = "\u0000garbage".getBytes(StandardCharsets.UTF_8);
            stranger.send(new java.net.DatagramPacket(junk, junk.length, to));
            Thread.sleep(500);
            assertFalse(Files.exists(backupState.resolve(PromiseDesk.FILE)), "a stranger's request was granted");
            assertTrue(backupDesk.beginTaking(), "a stranger's request made a promise");
            backupDesk.endTaking();

            dev.understudy.testing.Wait.until("the main's request granted", 5000, () -> {
                main.ask(5, 1, 100_000_000L);
                return main.grantedSince(1) != PromiseSeeker.NONE;
            });
            assertTrue(Files.exists(backupState.resolve(PromiseDesk.FILE)));
            assertFalse(backupDesk.beginTaking(), "the backup promised");
            assertEquals(PromiseSeeker.NONE, main.grantedSince(2), "a grant counts for its role generation only");
        }
    }

    // ------------------------------------------------------------------ the holder's count

    @Test
    void theHolderCountsFromTheNewestRequestEveryPeerGranted() {
        PromiseSeeker s = new PromiseSeeker(List.of("b1", "b2"), nanos::get, () -> WALL);
        long first = s.next(7, 1, 0);
        long sentAt = nanos.get();
        nanos.addAndGet(500_000_000L);
        long second = s.next(7, 1, 0);
        assertTrue(second > first, "send times rise even with a clock that does not");
        s.answered("b1", new FailsafeMessage.Answer("val1", "b1", "lab-main", 7, second, true, ""));
        assertEquals(PromiseSeeker.NONE, s.grantedSince(1), "b2 has not answered");
        s.answered("b2", new FailsafeMessage.Answer("val1", "b2", "lab-main", 7, first, false, "no"));
        assertEquals(PromiseSeeker.NONE, s.grantedSince(1), "a refusal is not a grant");
        s.answered("b2", new FailsafeMessage.Answer("val1", "b2", "lab-main", 8, first, true, ""));
        assertEquals(PromiseSeeker.NONE, s.grantedSince(1), "a grant for another epoch");
        s.answered("b2", new FailsafeMessage.Answer("val1", "b2", "lab-main", 7, first, true, ""));
        assertEquals(sentAt, s.grantedSince(1), "the older of the two peers' newest grants");
        assertEquals(PromiseSeeker.NONE, s.grantedSince(2), "another role generation");
        s.next(7, 2, 0);
        assertEquals(PromiseSeeker.NONE, s.grantedSince(2), "a new generation starts with no grants");
        s.answered("b1", new FailsafeMessage.Answer("val1", "b1", "lab-main", 7, second, true, ""));
        s.answered("b2", new FailsafeMessage.Answer("val1", "b2", "lab-main", 7, second, true, ""));
        assertEquals(PromiseSeeker.NONE, s.grantedSince(2), "grants of the old generation's requests do not count");
    }

    @Test
    void requestsAreSpaced() {
        PromiseSeeker s = new PromiseSeeker(List.of("b1"), nanos::get, () -> WALL);
        assertTrue(s.next(7, 1, 300_000_000L) > 0);
        assertEquals(-1, s.next(7, 1, 300_000_000L));
        nanos.addAndGet(300_000_000L);
        assertTrue(s.next(7, 1, 300_000_000L) > 0);
    }
}
