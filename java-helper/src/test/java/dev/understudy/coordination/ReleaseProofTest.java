package dev.understudy.coordination;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.understudy.common.Json;
import dev.understudy.identity.Identity;
import dev.understudy.identity.IdentityStore;
import dev.understudy.identity.VerifyKey;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A release record proves a release only with the signature of the host it names, over every field that matters. */
class ReleaseProofTest {
    @TempDir
    Path dir;

    @Test
    void onlyTheNamedHostsSignatureOverTheRecordAsWrittenIsAProof() throws Exception {
        Identity main = new IdentityStore(dir.resolve("main")).init(false, null);
        Identity backup = new IdentityStore(dir.resolve("backup")).init(false, null);
        Map<String, List<VerifyKey>> keys = Map.of("lab-main", List.of(main.signing().verifyKey()),
                "lab-backup", List.of(backup.signing().verifyKey()));
        ReleaseProof mains = ReleaseProof.over("val1", dir.resolve("main"), keys);
        ReleaseProof backups = ReleaseProof.over("val1", dir.resolve("backup"), keys);

        Snapshot good = parse(mains.record("lab-main", 40, 101, 5000), mains);
        assertTrue(good.released().verified());
        assertEquals(101, good.released().lastSignedRound());
        assertTrue(good.provenRelease());

        assertFalse(parse(backups.record("lab-main", 40, 101, 5000), backups).released().verified(),
                "the backup cannot sign a release in the main's name");
        String tampered = mains.record("lab-main", 40, 101, 5000).replace("\"lastSignedRound\":101", "\"lastSignedRound\":90");
        assertFalse(parse(tampered, mains).released().verified(), "a lower last round is no longer signed");
        String otherEpoch = mains.record("lab-main", 40, 101, 5000).replace("\"epoch\":40", "\"epoch\":41");
        assertFalse(parse(otherEpoch, mains).released().verified());
        assertFalse(parse("{\"epoch\":40,\"host\":\"lab-main\",\"lastSignedRound\":101,\"atMs\":5000}", mains).released().verified(),
                "unsigned");
        assertFalse(parse(mains.record("lab-main", 40, 101, 5000).replace("lab-main", "lab-nobody"), mains).released().verified(),
                "an unknown host has no keys");
        Snapshot garbage = parse("{\"epoch\":\"x\"}", mains);
        assertNull(garbage.released());
        assertFalse(garbage.provenRelease());
    }

    /** A range read as etcd would return it: the epoch key at revision 40 and the record, no leader key. */
    static Snapshot parse(String record, ReleaseProof proof) throws Exception {
        JsonNode epoch = Json.object().put("holder", "lab-main");
        List<Etcd.KeyValue> kvs = List.of(new Etcd.KeyValue("/understudy/val1/epoch", Json.MAPPER.writeValueAsString(epoch), 40, 40, 0),
                new Etcd.KeyValue("/understudy/val1/released", new String(record.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8),
                        45, 45, 0));
        return Snapshot.of("/understudy/val1/", new Etcd.Range(50, kvs), proof);
    }
}
