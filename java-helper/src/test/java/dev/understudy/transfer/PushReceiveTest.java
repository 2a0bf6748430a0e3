package dev.understudy.transfer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.understudy.bundle.Bundle;
import dev.understudy.bundle.BundleStore;
import dev.understudy.cli.Exit;
import dev.understudy.common.Json;
import dev.understudy.config.Config;
import dev.understudy.identity.IdentityStore;
import dev.understudy.node.KeyFile;
import dev.understudy.node.NodeAdapters;
import dev.understudy.testing.Cli;
import dev.understudy.testing.Deployment;
import dev.understudy.testing.DropPair;
import dev.understudy.testing.SftpServer;
import dev.understudy.testing.SimnetLab;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole path in one process: a simnet chain, a main node that bids and signs, a backup node; `sync push`
 * from the main over real SFTP to an embedded server standing in for the backup's drop account; `sync receive`
 * and `sync status --verify` on the backup; then the bundle's keys installed into the backup's node.
 */
class PushReceiveTest {
    @TempDir
    Path dir;
    SimnetLab lab;
    Deployment d;
    SftpServer drop;

    @BeforeEach
    void setUp() throws Exception {
        DropPair pair = new DropPair(dir, 30, 10);
        lab = pair.lab;
        d = pair.d;
        drop = pair.drop;
        SimnetLab.waitFor("main signing in the set", 5000,
                () -> status(lab.main.url()).path("inCurrentSet").asBoolean() && status(lab.main.url()).path("signing").asBoolean());
    }

    @AfterEach
    void tearDown() throws Exception {
        drop.close();
        lab.close();
    }

    static JsonNode status(String url) {
        try {
            return new dev.understudy.common.HttpJson(url, java.time.Duration.ofSeconds(2)).get("/status");
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    JsonNode json(Cli.Run r) throws Exception {
        return Json.parseObject(r.out().getBytes(StandardCharsets.UTF_8), "stdout");
    }

    @Test
    void keysReachTheBackupVerifiedAndFollowEachElection() throws Exception {
        // The key set changes at each period's start and election (3 s periods, the last 10 of 30 rounds an
        // election): begin just after a period starts, so the two pushes below see the same key set (a first push
        // that took 1.2 s once crossed a period's end and the second push rightly delivered the new set).
        SimnetLab.waitFor("the start of a period", 5000, () -> {
            long r = status(lab.main.url()).path("localRound").asLong(-1);
            return r >= 0 && r % 30 >= 1 && r % 30 <= 3;
        });
        long t0 = System.nanoTime();
        Cli.Run push = Cli.run("sync", "push", "--config", d.mainConfig.toString());
        assertEquals(0, push.code(), push.toString());
        assertTrue(push.out().contains("delivered val1-lab-main-"), push.out());
        // uploaded is not accepted: until the backup acknowledges, the main waits (and sends nothing again)
        Cli.Run again = Cli.run("sync", "push", "--config", d.mainConfig.toString());
        assertEquals(0, again.code());
        assertTrue(again.out().contains("waiting for lab-backup to acknowledge"), again.out());
        Cli.Run recv = Cli.run("sync", "receive", "--config", d.backupConfig.toString());
        assertEquals(0, recv.code(), recv.toString());
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(recv.out().contains("accepted val1-lab-main-"), recv.out());
        System.out.println("push, push again and receive of one bundle in-process: " + ms + " ms");
        Cli.Run acked = Cli.run("sync", "push", "--config", d.mainConfig.toString());
        assertTrue(acked.out().contains("up to date"), acked.out());

        Cli.Run st = Cli.run("sync", "status", "--config", d.backupConfig.toString(), "--verify", "--json");
        assertEquals(0, st.code(), st.toString());
        JsonNode s = json(st);
        JsonNode current = s.get("periods").get(0);
        assertTrue(current.get("covered").asBoolean(), st.out());
        assertTrue(current.get("verified").asBoolean(), st.out());
        assertEquals(status(lab.main.url()).get("currentKeyId").asText(), current.get("keyIds").get(0).asText());

        // The election for the next period gives the main a fresh key; the next push carries it.
        long next = s.get("nextPeriod").asLong();
        SimnetLab.waitFor("main to hold the next period's key", 5000,
                () -> status(lab.main.url()).path("keys").toString().contains("\"period\":" + next));
        assertEquals(0, Cli.run("sync", "push", "--config", d.mainConfig.toString()).code());
        assertEquals(0, Cli.run("sync", "receive", "--config", d.backupConfig.toString()).code());
        JsonNode s2 = json(Cli.run("sync", "status", "--config", d.backupConfig.toString(), "--verify", "--json"));
        assertTrue(s2.get("periods").get(1).get("covered").asBoolean(), s2.toString());

        // Activation's first half: the verified keys installed into the backup's node (still not signing).
        Config backup = Config.load(d.backupConfig);
        BundleStore store = new BundleStore(backup.stateDir(), backup.sync().keepBundles());
        BundleStore.Entry e = store.latestFor(s.get("currentPeriod").asLong());
        Bundle.Opened o = Bundle.reopen(store.signature(e), store.ciphertext(e), e.sha256(),
                new IdentityStore(backup.identityDir()).decryptionIdentities(), 1 << 20, e.name());
        Path keys = Files.createDirectories(dir.resolve("install"));
        for (KeyFile f : o.files().values()) {
            Files.createDirectories(keys.resolve(f.path()).getParent());
            Files.write(keys.resolve(f.path()), f.content());
        }
        NodeAdapters.create(backup).install(keys);
        JsonNode b = status(lab.backup.url());
        assertTrue(b.get("keys").toString().contains(current.get("keyIds").get(0).asText()), b.toString());
        assertFalse(b.get("validation").asBoolean());
        assertFalse(b.get("signing").asBoolean());
    }

    @Test
    void aChangedHostKeyStopsThePushWithExit65AndNothingIsSent() throws Exception {
        try (SftpServer impostor = new SftpServer(dir, "drop", d.clientPublicKey)) {
            Files.writeString(d.knownHosts, impostor.knownHostsLine().replace(":" + impostor.port(), ":" + drop.port()) + "\n");
        }
        Cli.Run r = Cli.run("sync", "push", "--config", d.mainConfig.toString());
        assertEquals(Exit.DATA, r.code(), r.toString());
        assertTrue(r.err().contains("CHANGED"), r.err());
        try (var files = Files.list(d.incoming)) {
            assertEquals(0, files.count());
        }
        // recorded for the agent's status and the watchdog's PUSH_REFUSED, with the new fingerprint
        Path state = Config.load(d.mainConfig).stateDir();
        assertTrue(Push.refusals(state).path("lab-backup").path("message").asText().matches(".*CHANGED \\(now SHA256:.*"),
                Push.refusals(state).toString());
        drop.writeKnownHosts(d.knownHosts);
        assertEquals(0, Cli.run("sync", "push", "--config", d.mainConfig.toString()).code());
        assertTrue(Push.refusals(state).isEmpty(), "a delivery clears the refusal: " + Push.refusals(state));
    }

    @Test
    void anUnreachableBackupIsExit69AndTheNextRunRetries() throws Exception {
        drop.close();
        Cli.Run r = Cli.run("sync", "push", "--config", d.mainConfig.toString());
        assertEquals(Exit.UNAVAILABLE, r.code(), r.toString());
        drop = new SftpServer(d.incoming.getParent(), "drop", d.clientPublicKey);
        drop.writeKnownHosts(d.knownHosts);
        Files.writeString(d.mainConfig, Files.readString(d.mainConfig).replaceAll("port: \\d+", "port: " + drop.port()));
        Cli.Run retry = Cli.run("sync", "push", "--config", d.mainConfig.toString());
        assertEquals(0, retry.code(), retry.toString());
        assertTrue(retry.out().contains("delivered"), retry.out());
        Cli.Run force = Cli.run("sync", "push", "--config", d.mainConfig.toString(), "--force");
        assertTrue(force.out().contains("delivered"), force.out());
    }

    @Test
    void anOperatorsPushWaitsForAnotherRunHoldingTheLockInsteadOfFailing() throws Exception {
        // The agent checks the keys every push interval under push.lock; a push that lands in such a check waits
        // (bounded) and delivers instead of exiting 75.
        Path lock = Config.load(d.mainConfig).stateDir().resolve("push.lock");
        try (var agentsCheck = dev.understudy.testing.LockHolder.hold(lock, 1000)) {
            Cli.Run r = Cli.run("sync", "push", "--config", d.mainConfig.toString(), "--force");
            assertEquals(0, agentsCheck.process().waitFor());
            assertEquals(0, r.code(), r.toString());
            assertTrue(r.out().contains("delivered"), r.out());
        }
    }
}
