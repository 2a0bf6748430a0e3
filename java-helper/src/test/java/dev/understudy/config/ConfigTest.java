package dev.understudy.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.understudy.cli.Exit;
import dev.understudy.testing.Cli;
import dev.understudy.testing.Deployment;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every malformed config gets exit 65 and a message naming the file, the key and what is expected. */
class ConfigTest {
    @TempDir
    Path dir;
    Deployment d;
    String good;

    @BeforeEach
    void setUp() throws Exception {
        d = new Deployment(dir);
        good = d.config("lab-main", "http://127.0.0.1:7701", dir.resolve("home"), "http://127.0.0.1:7700", 2222);
    }

    Cli.Run check(String yaml) throws Exception {
        Path f = dir.resolve("u.yml");
        Files.writeString(f, yaml);
        return Cli.run("config", "check", "--file", f.toString());
    }

    void bad(String yaml, String... expected) throws Exception {
        Cli.Run r = check(yaml);
        assertEquals(Exit.DATA, r.code(), r.toString());
        for (String e : expected) {
            assertTrue(r.err().contains(e), "expected '" + e + "' in: " + r.err());
        }
    }

    @Test
    void aGoodConfigPasses() throws Exception {
        Cli.Run r = check(good);
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("validator val1, host lab-main, 2 hosts"), r.out());
    }

    @Test
    void malformedConfigsNameTheKeyAndWhatIsExpected() throws Exception {
        bad(good.replace("validator: val1\n", ""), "u.yml: validator: is required");
        bad(good.replace("host: lab-main", "host: lab-mian"), "host: 'lab-mian' is not one of hosts: lab-main, lab-backup");
        bad(good.replace("    role: backup", "    role: standby"), "hosts.lab-backup.role: expected one of main, backup, monitor");
        bad(good.replace("    role: backup", "    role: main"), "hosts: expected exactly one host with role main, found 2");
        bad(good.replace("    address: 127.0.0.1\n    recipients", "    adress: 127.0.0.1\n    recipients"),
                "hosts.lab-main.address: is required");
        bad(good.replace("  keep_bundles: 3", "  keep_bundles: 1"), "sync.keep_bundles: expected an integer from 2 to 1000, got 1");
        bad(good.replace("  keep_bundles: 3", "  keep_bundle: 3"), "sync.keep_bundle: unknown setting");
        bad(good.replace("[age1", "[agex1"), "hosts.lab-main.recipients[0]: expected an age X25519 recipient");
        bad(good.replace("\"ed25519:", "\"ed25519:!!"), "hosts.lab-main.verify_keys[0]: verify key is not base64");
        bad(good.replace("  adapter: simnet", "  adapter: solana"), "node.adapter: expected one of simnet");
        bad(good.replace("    chain_url:", "    chain_uri:"), "node.simnet.chain_url: is required");
        bad(good.replace("state_dir: /", "state_dir: relative/"), "state_dir: expected an absolute path");
        bad("validator: [unclosed\n", "not valid YAML", "line 1");
        bad(good.replace("  keep_bundles: 3\n", "  keep_bundles: 3\n  keep_bundles: 30\n"),
                "u.yml: 'keep_bundles' is given twice (the second at line", "keep one");
        bad(good + "coordination:\n  endpoints: [http://10.0.0.1:2379]\n  password_file: /etc/p\n",
                "coordination.endpoints[0]: expected https://HOST:PORT", "got 'http://10.0.0.1:2379'");
        bad("- just\n- a list\n", "expected a mapping of settings at the top level");
        Cli.Run missing = Cli.run("config", "check", "--file", dir.resolve("nope.yml").toString());
        assertEquals(Exit.DATA, missing.code());
        assertTrue(missing.err().contains("nope.yml: config file does not exist"), missing.err());
    }

    /** The example in docs/configuration.md is a valid config: a key the parser does not know fails here. */
    @Test
    void theDocumentedExampleIsAValidConfig() throws Exception {
        String doc = Files.readString(Path.of("..", "docs", "configuration.md"));
        int start = doc.indexOf("```yaml\n") + "```yaml\n".length();
        String yaml = doc.substring(start, doc.indexOf("```", start));
        yaml = yaml.replace("[age1...]", "[" + d.mainId.age().recipient() + "]")
                .replace("\"ed25519:...\"", "\"" + d.mainId.signing().verifyKey() + "\"");
        // the channels' secrets, as the role writes them
        Path secrets = dir.resolve("alerts.env");
        Files.writeString(secrets, "WEBHOOK_TOKEN=w\nTELEGRAM_TOKEN=1:t\nSMTP_USER=u\nSMTP_PASSWORD=p\n");
        Files.setPosixFilePermissions(secrets, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        yaml = yaml.replace("/etc/understudy/alerts.env", secrets.toString());
        Cli.Run r = check(yaml);
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("validator val1, host lab-main, 3 hosts"), r.out());
    }

    /** The coordination timings are checked against the safety argument's ranges. */
    @Test
    void unsafeCoordinationTimingsAreRefusedWithTheReason() throws Exception {
        String base = good + "coordination:\n  endpoints: [https://10.0.0.1:2379]\n";
        assertEquals(0, check(base).code(), check(base).toString());
        bad(base + "  lease_ttl_ms: 4500\n", "coordination.lease_ttl_ms: etcd counts lease TTLs in whole seconds");
        bad(base + "  lease_ttl_ms: 3000\n  margin_ms: 1000\n  watchdog: {driver: file, path: /run/x, timeout_ms: 1100}\n",
                "leaves the holder under a second to renew its lease");
        bad(base + "  lease_ttl_ms: 4000\n  margin_ms: 1000\n  keepalive_interval_ms: 2000\n",
                "coordination.keepalive_interval_ms: expected an integer from 50 to 1000");
        bad(base + "  watchdog: {driver: device, path: /tmp/wd}\n", "coordination.watchdog.path: the device driver opens /dev/watchdog");
        bad(base + "  watchdog: {driver: file}\n", "coordination.watchdog.path: is required for the file driver");
        bad(base + "  watchdog: {driver: hardware}\n", "coordination.watchdog.driver: expected one of none, device, file");
        bad(good + "coordination:\n  endpoints: [etcd-1:2379]\n", "coordination.endpoints[0]: expected https://HOST:PORT");
        bad(good + "coordination:\n  lease_ttl_ms: 10000\n", "coordination.endpoints: is required");
    }

    /**
     * A one-shot command (status, switchover, the guard) gives each etcd member at least 2 s: a fresh JVM's first
     * TLS handshake took over the lab's 400 ms request timeout on a loaded host. The agent keeps its own.
     */
    @Test
    void oneShotCommandsGiveEachEtcdMemberAtLeastTwoSeconds() throws Exception {
        String three = good + "coordination:\n  endpoints: [https://10.0.0.1:2379, https://10.0.0.2:2379, https://10.0.0.3:2379]\n";
        Path f = dir.resolve("c.yml");
        Files.writeString(f, three + "  request_timeout_ms: 400\n");
        CoordinationSettings fast = Config.load(f).coordination();
        assertEquals(java.time.Duration.ofMillis(400), fast.requestTimeout());
        assertEquals(java.time.Duration.ofSeconds(2), fast.commandAttemptTimeout());
        assertEquals(java.time.Duration.ofSeconds(8), fast.commandTimeout(), "each member once, and one more attempt");
        Files.writeString(f, three + "  lease_ttl_ms: 20000\n  request_timeout_ms: 3000\n");
        assertEquals(java.time.Duration.ofSeconds(3), Config.load(f).coordination().commandAttemptTimeout());
    }
}
