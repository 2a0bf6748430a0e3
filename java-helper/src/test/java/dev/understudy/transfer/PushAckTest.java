package dev.understudy.transfer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.understudy.cli.Exit;
import dev.understudy.common.Json;
import dev.understudy.config.Config;
import dev.understudy.testing.Cli;
import dev.understudy.testing.Deployment;
import dev.understudy.testing.DropPair;
import dev.understudy.testing.SimnetLab;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * Delivered is not accepted: the backup's signed acknowledgement tells the main's push whether its bundle was
 * taken, and the main sends again until it is. The chain's periods here last a minute, so the key set stays the
 * same through each test and only the acknowledgement decides what the push does.
 */
class PushAckTest {
    @TempDir
    Path dir;
    DropPair pair;
    Deployment d;

    @BeforeEach
    void setUp() throws Exception {
        pair = new DropPair(dir, 600, 10);
        d = pair.d;
        SimnetLab.waitFor("main signing in the set", 5000, () -> PushReceiveTest.status(pair.lab.main.url()).path("signing").asBoolean());
    }

    @AfterEach
    void tearDown() throws Exception {
        pair.close();
    }

    /** Makes the last delivery to the backup look AGE_S seconds old (the waits are a minute and ten seconds). */
    void deliveredSecondsAgo(int ageS) throws Exception {
        Path f = Config.load(d.mainConfig).stateDir().resolve("push.json");
        var n = Json.parseObject(Files.readAllBytes(f), f.toString());
        ((com.fasterxml.jackson.databind.node.ObjectNode) n.get("delivered").get("lab-backup"))
                .put("at", java.time.Instant.now().minusSeconds(ageS).toString());
        Files.write(f, Json.pretty(n));
    }

    @org.junit.jupiter.api.Test
    void aBundleTheBackupRefusedIsSentAgainUntilItIsAccepted() throws Exception {
        Cli.Run first = Cli.run("sync", "push", "--config", d.mainConfig.toString());
        assertEquals(0, first.code(), first.toString());
        // damaged on the way: the backup refuses it and says so in its signed acknowledgement
        try (var files = Files.list(d.incoming)) {
            Path age = files.filter(p -> p.toString().endsWith(".age")).findFirst().orElseThrow();
            byte[] b = Files.readAllBytes(age);
            b[b.length / 2] ^= 1;
            Files.write(age, b);
        }
        assertEquals(Exit.DATA, Cli.run("sync", "receive", "--config", d.backupConfig.toString()).code());
        assertTrue(Files.readString(d.incoming.resolveSibling("acks/lab-main.json")).contains("BAD_SIGNATURE"));
        Cli.Run soon = Cli.run("sync", "push", "--config", d.mainConfig.toString());
        assertTrue(soon.out().contains("waiting for lab-backup"), "a refusal is answered after 10 s, not at once: " + soon);
        deliveredSecondsAgo(11);
        Cli.Run resend = Cli.run("sync", "push", "--config", d.mainConfig.toString());
        assertEquals(0, resend.code(), resend.toString());
        // sent again 11 s after the delivery: only the refusal does that (without it the wait is a minute)
        assertTrue(resend.out().contains("delivered"), resend.toString());
        Cli.Run recv = Cli.run("sync", "receive", "--config", d.backupConfig.toString());
        assertEquals(0, recv.code(), recv.toString());
        assertTrue(Cli.run("sync", "push", "--config", d.mainConfig.toString()).out().contains("up to date"));
    }

    @org.junit.jupiter.api.Test
    void aBundleNobodyAcknowledgesIsSentAgainAfterAMinuteAndAForgedAckIsIgnored() throws Exception {
        assertEquals(0, Cli.run("sync", "push", "--config", d.mainConfig.toString()).code());
        // the drop account (a thief's, say) cannot write acks/, but were it able to: an ack signed by another key
        dev.understudy.identity.Identity thief = dev.understudy.identity.Identity.generate();
        Files.write(d.incoming.resolveSibling("acks/lab-main.json"), new Ack("val1", "lab-backup", "lab-main", Long.MAX_VALUE,
                java.util.List.of(), "now").sign(thief.signing()));
        deliveredSecondsAgo(30);
        Cli.Run waiting = Cli.run("sync", "push", "--config", d.mainConfig.toString());
        assertTrue(waiting.out().contains("waiting for lab-backup"), "the forged ack was believed: " + waiting);
        deliveredSecondsAgo(61);
        Cli.Run again = Cli.run("sync", "push", "--config", d.mainConfig.toString());
        assertTrue(again.out().contains("delivered"), again.toString());
        try (var files = Files.list(d.incoming)) {
            assertEquals(4, files.count(), "both bundles wait in the drop: the receiver takes the newer, refuses none");
        }
    }
}
