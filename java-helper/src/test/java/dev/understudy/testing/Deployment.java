package dev.understudy.testing;

import dev.understudy.identity.Identity;
import dev.understudy.identity.IdentityStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A main and a backup in temp directories: identities, state, each host's drop directory, and the config file each
 * would get from the understudy role, with the simnet adapter pointing at a given node. Both hosts push with one
 * client key (the drops are on loopback; which key is whose is not what these tests are about).
 */
public final class Deployment {
    public final Path root;
    public final Path mainConfig;
    public final Path backupConfig;
    /** The backup's drop (where the main's bundles land) and the main's (where the backup's land). */
    public final Path incoming;
    public final Path mainIncoming;
    public final Identity mainId;
    public final Identity backupId;
    public final Path sshKey;
    public final Path knownHosts;
    public final String clientPublicKey;
    /** The agents' failsafe ports on 127.0.0.1 (both agents run in one process here). */
    public final int mainAgentPort;
    public final int backupAgentPort;

    /** Where the nodes are; ports of the backup's drop. */
    public record Nodes(String chainUrl, String mainConsole, Path mainHome, String backupConsole, Path backupHome) {
    }

    public Deployment(Path root) throws IOException, InterruptedException, Exception {
        this.root = root;
        mainId = new IdentityStore(root.resolve("main/identity")).init(false, null);
        backupId = new IdentityStore(root.resolve("backup/identity")).init(false, null);
        incoming = root.resolve("backup/drop/incoming");
        Files.createDirectories(incoming);
        Files.createDirectories(incoming.resolveSibling("acks"));
        mainIncoming = root.resolve("main/drop/incoming");
        Files.createDirectories(mainIncoming);
        Files.createDirectories(mainIncoming.resolveSibling("acks"));
        Files.createDirectories(root.resolve("main/ssh"));
        sshKey = root.resolve("main/ssh/push_ed25519");
        clientPublicKey = SftpServer.clientKey(sshKey);
        knownHosts = root.resolve("main/ssh/known_hosts");
        mainConfig = root.resolve("main/understudy.yml");
        backupConfig = root.resolve("backup/understudy.yml");
        mainAgentPort = freeUdpPort();
        int b = freeUdpPort();
        backupAgentPort = b != mainAgentPort ? b : freeUdpPort();
    }

    private static int freeUdpPort() throws IOException {
        try (java.net.DatagramSocket s = new java.net.DatagramSocket(0, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** Writes both config files; the backup's drop is at 127.0.0.1:dropPort, SFTP path /incoming; the main has none. */
    public void writeConfigs(Nodes nodes, int dropPort) throws IOException {
        writeConfigs(nodes, dropPort, 0);
    }

    /** Writes both config files, with a drop on each host (the main's at mainDropPort; 0: none). */
    public void writeConfigs(Nodes nodes, int dropPort, int mainDropPort) throws IOException {
        Files.writeString(mainConfig, config("lab-main", nodes.mainConsole(), nodes.mainHome(), nodes.chainUrl(), dropPort, mainDropPort),
                StandardCharsets.UTF_8);
        Files.writeString(backupConfig, config("lab-backup", nodes.backupConsole(), nodes.backupHome(), nodes.chainUrl(), dropPort,
                mainDropPort), StandardCharsets.UTF_8);
    }

    public String config(String host, String console, Path home, String chainUrl, int dropPort) {
        return config(host, console, home, chainUrl, dropPort, 0);
    }

    public String config(String host, String console, Path home, String chainUrl, int dropPort, int mainDropPort) {
        String dir = host.equals("lab-main") ? "main" : "backup";
        return "validator: val1\n"
                + "host: " + host + "\n"
                + "state_dir: " + root.resolve(dir + "/state") + "\n"
                + "identity_dir: " + root.resolve(dir + "/identity") + "\n"
                + "hosts:\n"
                + "  lab-main:\n"
                + "    role: main\n"
                + "    address: 127.0.0.1\n"
                + "    recipients: [" + mainId.age().recipient() + "]\n"
                + "    verify_keys: [\"" + mainId.signing().verifyKey() + "\"]\n"
                + "    agent_port: " + mainAgentPort + "\n"
                + (mainDropPort > 0 ? "    drop: {user: drop, port: " + mainDropPort + ", dir: /incoming}\n" : "")
                + "  lab-backup:\n"
                + "    role: backup\n"
                + "    address: 127.0.0.1\n"
                + "    recipients: [" + backupId.age().recipient() + "]\n"
                + "    verify_keys: [\"" + backupId.signing().verifyKey() + "\"]\n"
                + "    agent_port: " + backupAgentPort + "\n"
                + "    drop: {user: drop, port: " + dropPort + ", dir: /incoming}\n"
                + "node:\n"
                + "  adapter: simnet\n"
                + "  simnet:\n"
                + "    console_url: " + console + "\n"
                + "    chain_url: " + chainUrl + "\n"
                + "    home: " + home + "\n"
                + "    user: root\n"
                + "sync:\n"
                + "  ssh_key: " + sshKey + "\n"
                + "  known_hosts: " + knownHosts + "\n"
                + "  connect_timeout_ms: 2000\n"
                + "  timeout_ms: 3000\n"
                + "  keep_bundles: 3\n"
                + "  max_bundle_bytes: 1048576\n"
                + "  incoming_dir: " + (dir.equals("main") && mainDropPort > 0 ? mainIncoming : incoming) + "\n";
    }
}
