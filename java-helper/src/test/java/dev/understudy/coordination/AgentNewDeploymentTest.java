package dev.understudy.coordination;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.understudy.config.Config;
import dev.understudy.node.Evidence;
import dev.understudy.node.NodeException;
import dev.understudy.testing.AgentLab;
import dev.understudy.testing.Wait;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A new deployment: the validator is not in the current set yet, so there is nothing to sign and only the main,
 * holding the wallet, can bid. A backup that took the role would keep it without bidding, and the validator would
 * never enter the set — as happens on a loaded fresh lab when the main's status is over 3 s old as the backup's
 * node syncs. So the backup leaves the role to a main whose agent publishes any status as a standby.
 */
class AgentNewDeploymentTest {
    @TempDir
    Path dir;
    AgentLab lab;
    AgentLab.Running backup;
    long startRound;

    @AfterEach
    void tearDown() throws Exception {
        if (lab != null) {
            lab.closeWithoutDoubleSign(startRound, backup);
        }
    }

    @Test
    void aBackupLeavesTheRoleOfANewValidatorToAMainWhoseStatusIsOld() throws Exception {
        lab = new AgentLab(dir);
        startRound = lab.round();
        lab.mainNode.close(); // nobody signs; the main's agent never runs here

        // the main's agent published a status as a standby 10 s ago and has not managed to since (its key lives)
        String key = Config.load(lab.d.mainConfig).coordination().prefix("val1") + "status/lab-main";
        var etcd = lab.client();
        long lease = etcd.grant(60, Duration.ofSeconds(2));
        etcd.put(key, "{\"host\":\"lab-main\",\"role\":\"standby\",\"epoch\":0,\"cooldown\":false,\"synced\":true,"
                + "\"updatedAtMs\":" + (System.currentTimeMillis() - 10_000) + "}", lease, Duration.ofSeconds(2));

        // the chain's view as on a new deployment: the validator in no set, nobody signing for it
        backup = lab.start(lab.d.backupConfig, null, new HangWatchdog.None(), n -> new AgentTest.Delegating(n) {
            @Override
            public Evidence evidence(int rounds) throws NodeException {
                Evidence e = n.evidence(rounds);
                return new Evidence(false, -1, -1, e.chainRound(), e.windowRounds(), false, false, 0, 0, 0, e.roundMs());
            }
        });
        Wait.until("the backup's node synced", 15_000, () -> AgentLab.status(lab.backupNode.url()).path("synced").asBoolean());
        Thread.sleep(3000); // the standby delay is 500 ms and polls every 100 ms: time enough to take the role
        assertNull(lab.holder(), "the backup took the role of a validator outside the set from a main with a status");
        assertFalse(AgentLab.status(lab.backupNode.url()).path("validation").asBoolean());

        // the main's agent is gone (its status expired): then the backup takes the role, so the wait above could fail
        etcd.delete(key, Duration.ofSeconds(2));
        Wait.until("the backup to take the role", 10_000, () -> "lab-backup".equals(lab.holder()));
        assertEquals("lab-backup", lab.holder());
    }
}
