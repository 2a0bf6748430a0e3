package dev.understudy.node.everscale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.understudy.cli.BadInputException;
import dev.understudy.common.Json;
import dev.understudy.config.Section;
import dev.understudy.node.ElectionFiles;
import dev.understudy.node.Evidence;
import dev.understudy.node.NodeException;
import dev.understudy.node.Systemd;
import dev.understudy.testing.HttpStub;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The everscale adapter's own chain view against a real HTTP server on loopback answering GraphQL queries with
 * answers in ever-q-server's schema (src/test/resources/adapters/everscale/graphql-*.json, README there).
 */
class EverChainEvidenceTest {
    static final long NOW = EverAdapterTest.NOW;
    /** The current election's key of the fixture config.json, as the chain's signatures name it. */
    static final String OUR_KEY = "b9350caea1140d0b7fc1332924fa432c47313c31bce4738b30e05ce8f69e60ac";

    @TempDir
    Path dir;
    Path fixtures = Path.of("src/test/resources/adapters/everscale").toAbsolutePath();
    HttpStub server;
    volatile String answer = "graphql-main-signing.json";
    volatile int bigBytes;

    @BeforeEach
    void serve() throws Exception {
        server = new HttpStub(() -> {
            try {
                return bigBytes > 0 ? ("{\"data\": {\"mc\": \"" + "x".repeat(bigBytes) + "\"}}").getBytes(StandardCharsets.UTF_8)
                        : Files.readAllBytes(fixtures.resolve(answer));
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        Files.createDirectories(dir.resolve("state"));
        Files.copy(fixtures.resolve("config.json"), dir.resolve("config.json"));
    }

    @AfterEach
    void stop() {
        server.close();
    }

    /** The GraphQL queries the server was sent, in order. */
    List<String> queries() throws Exception {
        List<String> out = new ArrayList<>();
        for (String r : server.requests()) {
            out.add(Json.MAPPER.readTree(r).path("query").asText());
        }
        return out;
    }

    URI url() {
        return URI.create(server.url() + "/graphql");
    }

    EverChainEvidence chain(long silenceS, long timeoutMs, long now) {
        return new EverChainEvidence(new GraphqlEndpoint(url(), Duration.ofMillis(timeoutMs)), 3000, silenceS, 80, () -> now);
    }

    /** A holder's adapter (config.json with the fixture's three entries), or the monitor's (no node, no entries). */
    EverAdapter adapter(boolean monitor, EverChainEvidence chain) {
        return new EverAdapter(null, null, chain, monitor ? null : dir.resolve("config.json"), dir.resolve("state/everscale-replay.json"),
                monitor ? null : dir.resolve("stop-election"), "", new Systemd("/bin/false", Duration.ofSeconds(1)), "ever-node", 20, 3000,
                new ElectionFiles(List.of(), "node.everscale.election_files"), () -> NOW);
    }

    Evidence evidence(String fixture) throws NodeException {
        answer = fixture;
        return adapter(false, chain(1200, 5000, NOW)).evidence(5);
    }

    @Test
    void keyIdsAreTheHashOfTheTlPublicKeyAsConfigJsonNamesThem() throws Exception {
        // the fixture's current entry: validator_key_id, and the public key of its key ring entry's private key
        assertEquals(OUR_KEY, EverChainEvidence.keyIdHex("uTUMrqEUDQt/wTMpJPpDLEcxPDG85HOLMOBc6PaeYKw="));
        assertEquals(OUR_KEY, EverChainEvidence.keyIdOfPublicKey(
                HexFormat.of().parseHex("f8b0e7df09ecdecac5d7e773c357f84a66735c40c2ca963a40470f521381d85e")));
        JsonNode cfg = Json.MAPPER.readTree(fixtures.resolve("config.json").toFile());
        for (JsonNode k : cfg.path("validator_keys")) {
            for (String f : List.of("validator_key_id", "validator_adnl_key_id")) {
                String id = k.path(f).asText();
                byte[] seed = Base64.getDecoder().decode(cfg.path("validator_key_ring").path(id).path("pvt_key").asText());
                byte[] pub = new org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters(seed, 0).generatePublicKey().getEncoded();
                assertEquals(EverChainEvidence.keyIdHex(id), EverChainEvidence.keyIdOfPublicKey(pub), "the key ring's key named " + id);
            }
        }
        assertEquals(null, EverChainEvidence.keyIdHex("c2hvcnQ="), "not 32 bytes");
        assertEquals(null, EverChainEvidence.keyIdHex("not base64!"));
    }

    @Test
    void aMasterchainValidatorSignsFromTheBlocksSignatures() throws Exception {
        Evidence e = evidence("graphql-main-signing.json");
        assertTrue(e.signedRecently());
        assertEquals(61234565, e.lastVoteRound(), "block 61234566 carries the signatures of 61234565");
        assertEquals(61234567, e.chainRound());
        assertTrue(e.inCurrentSet());
        assertFalse(e.inNextSet(), "no p36, and no entry for an election after the current set's");
        assertEquals(1, e.recentSigners());
        assertEquals(3000, e.roundMs());
        String q = queries().get(0);
        assertTrue(q.contains("limit: 6"), "the window's 5 rounds and the block after them: " + q);
        assertTrue(q.contains("gen_utime: {ge: " + (NOW - 1200 - 80) + "}"), q);
        for (String id : List.of(OUR_KEY, "c88bd280173afffcb64ee106c97e355e010f57fcc09b22f5e9018b3672db6918",
                "f6616be7dd25d1ff14149683b53b8a0e307bfacabcd7c4c862a4ce5d83401cdf")) {
            assertTrue(q.contains('"' + id + '"'), "every entry's key id is asked for: " + q);
        }
    }

    @Test
    void aMasterchainValidatorIsSilentAfterTheWindowWithoutASignature() throws Exception {
        Evidence e = evidence("graphql-main-silent.json");
        assertFalse(e.signedRecently());
        assertEquals(-1, e.lastVoteRound());
        assertTrue(e.inCurrentSet());
        assertEquals(0, e.recentSigners());
    }

    @Test
    void aShardValidatorIsJudgedByItsNewestSignatureOfAnyBlock() throws Exception {
        Evidence e = evidence("graphql-shard-signing.json");
        assertTrue(e.signedRecently(), "a shard block signed 300 s ago, within evidence_silence_s");
        assertEquals(61234567 - 100, e.lastVoteRound(), "300 s of 3 s blocks before the newest");
        assertTrue(e.inCurrentSet());
        Evidence quiet = adapter(false, chain(200, 5000, NOW)).evidence(5);
        assertFalse(quiet.signedRecently(), "quiet for 300 s, longer than 200 s");
    }

    @Test
    void outsideTheCurrentSetTheKeySignsNothingAndTheNextSetIsP36() throws Exception {
        Evidence e = evidence("graphql-not-in-set.json");
        assertFalse(e.signedRecently());
        assertFalse(e.inCurrentSet());
        assertTrue(e.inNextSet(), "p36 lists the current entry's key");
    }

    @Test
    void theMonitorJudgesTheKeyIdsTheAgentsPublish() throws Exception {
        EverAdapter holder = adapter(false, chain(1200, 5000, NOW));
        assertEquals(List.of("b9350caea1140d0b7fc1332924fa432c47313c31bce4738b30e05ce8f69e60ac",
                "c88bd280173afffcb64ee106c97e355e010f57fcc09b22f5e9018b3672db6918",
                "f6616be7dd25d1ff14149683b53b8a0e307bfacabcd7c4c862a4ce5d83401cdf"), holder.chainIds());
        EverAdapter monitor = adapter(true, chain(1200, 5000, NOW));
        assertEquals(List.of(), monitor.chainIds());
        NodeException none = assertThrows(NodeException.class, () -> monitor.evidence(5, Set.of("not-an-id")));
        assertTrue(none.getMessage().contains("cannot tell which signatures are this validator's"), none.getMessage());
        assertTrue(queries().isEmpty(), "nothing asked without a key");
        Evidence e = monitor.evidence(5, Set.of(OUR_KEY.toUpperCase(java.util.Locale.ROOT)));
        assertTrue(e.signedRecently());
        assertTrue(e.inCurrentSet());
    }

    @Test
    void anEndpointThatFailsIsDoubtNamingIt() throws Exception {
        NodeException refused = assertThrows(NodeException.class, () -> evidence("graphql-errors.json"));
        assertTrue(refused.getMessage().contains("refused the query: Cannot query field \"prev_blk_signatures\""), refused.getMessage());
        assertTrue(refused.getMessage().startsWith("everscale graphql_url " + url()), refused.getMessage());

        NodeException malformed = assertThrows(NodeException.class, () -> evidence("graphql-malformed.json"));
        assertTrue(malformed.isBadOutput());
        assertTrue(malformed.getMessage().endsWith("mc[0]: field 'seq_no' missing or not an integer"), malformed.getMessage());

        server.status = 503;
        NodeException down = assertThrows(NodeException.class, () -> evidence("graphql-main-signing.json"));
        assertTrue(down.getMessage().endsWith("answered HTTP 503"), down.getMessage());
        server.status = 200;

        answer = "graphql-main-signing.json";
        NodeException behind = assertThrows(NodeException.class, () -> adapter(false, chain(1200, 5000, NOW + 200)).evidence(5));
        assertTrue(behind.getMessage().contains("its newest masterchain block (61234567) is 203 s old: the endpoint is behind"),
                behind.getMessage());

        server.stallMs = 3000;
        long t0 = System.nanoTime();
        NodeException hung = assertThrows(NodeException.class, () -> adapter(false, chain(1200, 500, NOW)).evidence(5));
        assertTrue((System.nanoTime() - t0) / 1_000_000 < 2500, "given up at the timeout, not when the body ends");
        assertTrue(hung.getMessage().contains("no whole answer within 500 ms"), hung.getMessage());
        server.stallMs = 0;

        bigBytes = GraphqlEndpoint.MAX_ANSWER + 10;
        NodeException big = assertThrows(NodeException.class, () -> evidence("graphql-main-signing.json"));
        assertTrue(big.isBadOutput());
        assertTrue(big.getMessage().contains("answer longer than"), big.getMessage());
    }

    @Test
    void configNeedsAChainViewAndAnHttpUrl() throws Exception {
        BadInputException neither = assertThrows(BadInputException.class, () -> EverAdapter.fromConfig("val1", dir, section("""
                {"console": ["/bin/true"], "config_json": "/var/ever-node/configs/config.json", "stop_file": "/tmp/stop"}""")));
        assertTrue(neither.getMessage().contains("graphql_url: or 'evidence' is required"), neither.getMessage());
        BadInputException scheme = assertThrows(BadInputException.class, () -> EverAdapter.fromConfig("val1", dir, section("""
                {"graphql_url": "file:///etc/passwd", "console": ["/bin/true"], "config_json": "/c.json", "stop_file": "/s"}""")));
        assertTrue(scheme.getMessage().contains("expected an http:// or https:// URL"), scheme.getMessage());
        BadInputException noConsole = assertThrows(BadInputException.class, () -> EverAdapter.fromConfig("val1", dir, section("""
                {"graphql_url": "http://127.0.0.1/graphql", "config_json": "/c.json", "stop_file": "/s"}""")));
        assertTrue(noConsole.getMessage().contains("console"), noConsole.getMessage());
        EverAdapter monitor = EverAdapter.fromConfig("val1", dir, section("{\"graphql_url\": \"" + url() + "\"}"), true);
        assertEquals(List.of(), monitor.access().writes(), "the monitor writes no node file");
        assertEquals(List.of(), monitor.chainIds());
    }

    static Section section(String json) throws Exception {
        return Section.root("config.yml", Json.MAPPER.readTree("{\"node\": {\"everscale\": " + json + "}}")).section("node")
                .section("everscale");
    }
}
