package dev.understudy.coordination;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.understudy.bundle.Keys;
import dev.understudy.node.Activation;
import dev.understudy.config.Config;
import dev.understudy.node.Evidence;
import dev.understudy.node.KeySet;
import dev.understudy.node.NodeAdapter;
import dev.understudy.node.NodeStatus;
import dev.understudy.node.PeriodKeys;
import dev.understudy.testing.Bundles;
import dev.understudy.testing.Deployment;
import dev.understudy.transfer.Receive;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which keys a host signs with after it takes the role ({@link Agent#storeKeys}): the node's own, or those of a
 * verified bundle made under a later epoch than the host last held the role. The case that needed this: the
 * main bid during an open election and lost power before its keys reached the backup; the backup took over,
 * bid again with a new key (the chain elects the last bid) and pushed it; after failback the main signed with
 * its own, older key and the chain recorded none of its votes.
 */
class StoreKeysTest {
    static final long P = 7;
    static final String MAINS = "A1".repeat(32);
    static final String BACKUPS = "B2".repeat(32);

    @TempDir
    Path dir;
    Deployment d;
    Config backup;
    /** The backup host's node: its keys per period, and the key files of each install. */
    final List<PeriodKeys> nodeKeys = new ArrayList<>();
    final List<List<String>> installs = new ArrayList<>();
    long seq = 1000;

    @BeforeEach
    void setUp() throws Exception {
        d = new Deployment(dir);
        d.writeConfigs(new Deployment.Nodes("http://127.0.0.1:9", "http://127.0.0.1:9", dir.resolve("h"), "http://127.0.0.1:9",
                dir.resolve("h")), 22);
        backup = Config.load(d.backupConfig);
    }

    /** A bundle from the main, made under {@code epoch}, holding key {@code keyId} for P, taken in by `sync receive`. */
    void received(long epoch, String keyId) throws Exception {
        Bundles.drop(d.incoming, Bundles.seal("lab-main", ++seq, epoch, P, keyId, List.of(d.backupId.age().recipient()),
                d.mainId.signing()));
        Receive.Result r = new Receive(backup).run();
        assertTrue(r.rejected().isEmpty(), r.toString());
    }

    Keys keys() {
        return Agent.storeKeys(backup, new NodeAdapter() {
            @Override
            public String kind() {
                return "simnet";
            }

            @Override
            public NodeStatus status() {
                throw new UnsupportedOperationException();
            }

            @Override
            public boolean signing() {
                return false;
            }

            @Override
            public Evidence evidence(int rounds) {
                throw new UnsupportedOperationException();
            }

            @Override
            public KeySet keyFiles() {
                return new KeySet(List.of(), nodeKeys);
            }

            @Override
            public void install(Path from) throws dev.understudy.node.NodeException {
                try (Stream<Path> s = Files.list(from.resolve("keyring"))) {
                    List<String> ids = s.map(f -> f.getFileName().toString()).sorted().toList();
                    installs.add(ids);
                    nodeKeys.removeIf(k -> k.period() == P);
                    nodeKeys.add(new PeriodKeys(P, ids));
                } catch (java.io.IOException e) {
                    throw dev.understudy.node.NodeException.unavailable(e.getMessage(), e);
                }
            }

            @Override
            public void activate(Activation activation) {
            }

            @Override
            public void deactivate() {
            }

            @Override
            public boolean prepareStandbyStart() {
                return false;
            }
        });
    }

    @Test
    void aNodeWithoutKeysForThePeriodGetsTheNewestBundle() throws Exception {
        received(3, MAINS);
        received(4, BACKUPS);
        assertEquals(List.of(BACKUPS), keys().signingIds(List.of(P), 0).get(P));
        keys().ensureInstalled(P, 0);
        assertEquals(List.of(List.of(BACKUPS)), installs);
    }

    @Test
    void whenTheNewestBundleNoLongerOpensTheNewestOlderOneThatDoesIsInstalled() throws Exception {
        received(3, MAINS);
        received(4, BACKUPS);
        Path store = backup.stateDir().resolve("bundles");
        String newest = dev.understudy.bundle.Bundle.name("val1", "lab-main", seq);
        byte[] ct = Files.readAllBytes(store.resolve(newest + ".age"));
        ct[ct.length / 2] ^= 1;
        Files.write(store.resolve(newest + ".age"), ct); // damaged on disk after it was accepted
        keys().ensureInstalled(P, 0);
        assertEquals(List.of(List.of(MAINS)), installs, "the older bundle's keys, not none");
    }

    @Test
    void aDamagedOrLostIndexIsRebuiltFromTheBundlesAndReplaysStayRefused() throws Exception {
        received(3, MAINS);
        received(4, BACKUPS);
        Path store = backup.stateDir().resolve("bundles");
        Files.writeString(store.resolve("index.json"), "{\"bundles\": [trunc");
        var rebuilt = dev.understudy.bundle.BundleStore.of(backup).index();
        assertEquals(List.of(seq - 1, seq), rebuilt.entries().stream().map(e -> e.seq()).toList());
        assertEquals(seq, rebuilt.lastAccepted().get("lab-main"));
        try (Stream<Path> s = Files.list(store)) {
            assertTrue(s.anyMatch(f -> f.getFileName().toString().startsWith("index.json.corrupt-")), "the damaged copy is kept");
        }
        assertEquals(List.of(BACKUPS), keys().signingIds(List.of(P), 0).get(P));

        // index and the newest bundle gone: the high-water mark still refuses a replay of that newest sequence
        String newest = dev.understudy.bundle.Bundle.name("val1", "lab-main", seq);
        byte[] replaySig = Files.readAllBytes(store.resolve(newest + ".sig"));
        byte[] replayAge = Files.readAllBytes(store.resolve(newest + ".age"));
        Files.delete(store.resolve("index.json"));
        Files.delete(store.resolve(newest + ".sig"));
        Files.delete(store.resolve(newest + ".age"));
        Files.write(d.incoming.resolve(newest + ".age"), replayAge);
        Files.write(d.incoming.resolve(newest + ".sig"), replaySig);
        Receive.Result r = new Receive(backup).run();
        assertEquals(List.of(newest + ": REPLAYED"), r.rejected(), r.toString());
    }

    @Test
    void keysBidUnderALaterEpochReplaceTheNodesOlderOnes() throws Exception {
        // this host held the role at epoch 5 with its own key; the other host took over (epoch 9) and re-bid
        nodeKeys.add(new PeriodKeys(P, List.of(BACKUPS)));
        received(9, MAINS);
        assertEquals(List.of(MAINS), keys().signingIds(List.of(P), 5).get(P));
        keys().ensureInstalled(P, 5);
        assertEquals(List.of(List.of(MAINS)), installs);
        // installed once: the node now holds them
        keys().ensureInstalled(P, 5);
        assertEquals(1, installs.size());
    }

    @Test
    void aBundleFromBeforeThisHostLastHeldTheRoleNeverReplacesTheNodesKeys() throws Exception {
        // this host re-bid at epoch 12; the bundle it still has is from the other host's epoch 9
        nodeKeys.add(new PeriodKeys(P, List.of(BACKUPS)));
        received(9, MAINS);
        assertEquals(List.of(BACKUPS), keys().signingIds(List.of(P), 12).get(P));
        keys().ensureInstalled(P, 12);
        assertEquals(List.of(), installs);
    }

    @Test
    void withTheLastHeldEpochUnknownTheNodesKeysStay() throws Exception {
        nodeKeys.add(new PeriodKeys(P, List.of(BACKUPS)));
        received(9, MAINS);
        assertEquals(List.of(BACKUPS), keys().signingIds(List.of(P), LocalRole.UNKNOWN).get(P));
        keys().ensureInstalled(P, LocalRole.UNKNOWN);
        assertEquals(List.of(), installs);
    }

    @Test
    void aNodeThatAlreadyHoldsTheBundlesKeysIsLeftAlone() throws Exception {
        nodeKeys.add(new PeriodKeys(P, List.of(MAINS, BACKUPS)));
        received(9, MAINS);
        assertEquals(List.of(MAINS, BACKUPS), keys().signingIds(List.of(P), 5).get(P));
        keys().ensureInstalled(P, 5);
        assertEquals(List.of(), installs);
    }

    @Test
    void roleJsonOfAnOlderAgentReadsAsUnknownUnlessItHeldTheRole() throws Exception {
        Path state = dir.resolve("state");
        Files.createDirectories(state);
        Files.writeString(state.resolve(LocalRole.FILE), "{\"holder\": false, \"epoch\": 0, \"since\": \"x\"}");
        assertEquals(LocalRole.UNKNOWN, LocalRole.read(state).lastHeldEpoch());
        Files.writeString(state.resolve(LocalRole.FILE), "{\"holder\": true, \"epoch\": 41, \"since\": \"x\"}");
        assertEquals(41, LocalRole.read(state).lastHeldEpoch());
        new LocalRole(true, false, 0, 41, "y").write(state);
        assertEquals(41, LocalRole.read(state).lastHeldEpoch());
        assertEquals(0, LocalRole.read(dir.resolve("absent")).lastHeldEpoch());
    }
}
