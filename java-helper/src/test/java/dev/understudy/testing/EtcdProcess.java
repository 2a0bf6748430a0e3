package dev.understudy.testing;

import dev.understudy.common.PemTls;
import dev.understudy.coordination.Etcd;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A real etcd (Debian's etcd-server) on loopback for tests, set up as the etcd role sets up production: TLS
 * with a private CA, client certificates required, auth on, user "understudy" limited to /understudy/.
 * It can be frozen (SIGSTOP) and thawed to play a partition.
 */
public final class EtcdProcess implements AutoCloseable {
    public static final String PASSWORD = "test-password";
    public final Path dir;
    public int clientPort;
    private Process process;

    public EtcdProcess(Path dir) throws Exception {
        this(dir, 300);
    }

    public EtcdProcess(Path dir, int tokenTtlSeconds) throws Exception {
        this.dir = dir;
        Files.createDirectories(dir);
        certificates(dir);
        // a port found free can be taken by another process before etcd binds it (tests start nodes on
        // ephemeral ports): start again on new ports, a few times
        for (int attempt = 1;; attempt++) {
            clientPort = freePort();
            int peerPort = freePort();
            List<String> cmd = new ArrayList<>(List.of("etcd", "--name", "t", "--data-dir", dir.resolve("data").toString(),
                    "--listen-client-urls", "https://127.0.0.1:" + clientPort, "--advertise-client-urls", "https://127.0.0.1:" + clientPort,
                    "--listen-peer-urls", "http://127.0.0.1:" + peerPort, "--initial-advertise-peer-urls", "http://127.0.0.1:" + peerPort,
                    "--initial-cluster", "t=http://127.0.0.1:" + peerPort, "--cert-file", dir.resolve("server.crt").toString(),
                    "--key-file", dir.resolve("server.key").toString(), "--trusted-ca-file", dir.resolve("ca.crt").toString(),
                    "--client-cert-auth", "--heartbeat-interval", "50", "--election-timeout", "500",
                    "--auth-token", "simple", "--auth-token-ttl", String.valueOf(tokenTtlSeconds), "--log-level", "error"));
            process = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("etcd.log").toFile()).start();
            try {
                ctl("endpoint", "health");
                break;
            } catch (IOException e) {
                process.destroyForcibly().waitFor();
                if (attempt >= 5 || !Files.readString(dir.resolve("etcd.log")).contains("address already in use")) {
                    throw e;
                }
            }
        }
        ctl("user", "add", "root", "--new-user-password=root-" + PASSWORD);
        ctl("role", "add", "understudy");
        ctl("role", "grant-permission", "understudy", "--prefix=true", "readwrite", "/understudy/");
        ctl("user", "add", "understudy", "--new-user-password=" + PASSWORD);
        ctl("user", "grant-role", "understudy", "understudy");
        ctl("auth", "enable");
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** The {@code coordination:} lines that reach this etcd as production does (TLS, client certificate, password file). */
    public String clientSettings(Path passwordFile) {
        return "  endpoints: [" + endpoint() + "]\n"
                + "  ca_file: " + dir.resolve("ca.crt") + "\n"
                + "  cert_file: " + dir.resolve("client.crt") + "\n"
                + "  key_file: " + dir.resolve("client.key") + "\n"
                + "  password_file: " + passwordFile + "\n";
    }

    public URI endpoint() {
        return URI.create("https://127.0.0.1:" + clientPort);
    }

    public Etcd client(Duration attempt) throws Exception {
        return client(List.of(endpoint()), attempt);
    }

    /** A client logging in as another user (made with {@link #ctl}). */
    public Etcd client(String user, String password, Duration attempt) throws Exception {
        return new Etcd(List.of(endpoint()), PemTls.context(dir.resolve("ca.crt"), dir.resolve("client.crt"), dir.resolve("client.key")),
                user, password, attempt);
    }

    /** A client of this cluster that lists other endpoints too (e.g. a member that hangs). */
    public Etcd client(List<URI> endpoints, Duration attempt) throws Exception {
        return new Etcd(endpoints, PemTls.context(dir.resolve("ca.crt"), dir.resolve("client.crt"), dir.resolve("client.key")),
                "understudy", PASSWORD, attempt);
    }

    /** etcdctl as root over gRPC (the way the etcd role administers the cluster), retried until etcd is up. */
    public String ctl(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("etcdctl", "--endpoints=" + endpoint(), "--cacert", dir.resolve("ca.crt").toString(),
                "--cert", dir.resolve("client.crt").toString(), "--key", dir.resolve("client.key").toString(),
                "--dial-timeout=2s", "--command-timeout=3s"));
        if (Files.exists(dir.resolve("auth-enabled"))) {
            cmd.add("--user=root:root-" + PASSWORD);
        }
        cmd.addAll(List.of(args));
        String out = "";
        for (int i = 0; i < 50; i++) {
            if (!process.isAlive()) {
                break; // etcd exited (its log says why): no point asking it again
            }
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (p.waitFor() == 0) {
                if (args[0].equals("auth") && args[1].equals("enable")) {
                    Files.writeString(dir.resolve("auth-enabled"), "yes");
                }
                return out;
            }
            Thread.sleep(100);
        }
        throw new IOException("etcdctl " + String.join(" ", args) + " failed: " + out + "\nlog:\n" + Files.readString(dir.resolve("etcd.log")));
    }

    public void freeze() throws Exception {
        signal("STOP");
    }

    public void thaw() throws Exception {
        signal("CONT");
    }

    private void signal(String sig) throws Exception {
        new ProcessBuilder("kill", "-" + sig, String.valueOf(process.pid())).inheritIO().start().waitFor();
    }

    @Override
    public void close() throws Exception {
        thaw();
        process.destroyForcibly().waitFor();
    }

    private static void certificates(Path d) throws Exception {
        Files.writeString(d.resolve("ext.cnf"), "[server]\nsubjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n"
                + "[client]\nextendedKeyUsage=clientAuth\n");
        run(d, "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key",
                "-out", "ca.crt", "-days", "2", "-subj", "/O=understudy-test-ca");
        for (String[] c : new String[][] {{"server", "/CN=127.0.0.1", "server"}, {"client", "/O=understudy/OU=test", "client"}}) {
            run(d, "openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", c[0] + ".key",
                    "-out", c[0] + ".csr", "-subj", c[1]);
            run(d, "openssl", "x509", "-req", "-in", c[0] + ".csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
                    "-out", c[0] + ".crt", "-days", "2", "-extfile", "ext.cnf", "-extensions", c[2]);
        }
    }

    private static void run(Path dir, String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IOException(String.join(" ", cmd) + ": " + out);
        }
    }
}
