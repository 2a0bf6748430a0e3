package dev.understudy.transfer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.understudy.bundle.Bundle;
import dev.understudy.testing.SftpServer;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Uploads to an embedded SFTP server (Apache MINA SSHD), with real SSH and pinned host keys. */
class SftpUploaderTest {
    @TempDir
    Path dir;
    Path root;
    Path key;
    String pub;
    Path knownHosts;
    final Bundle.Sealed bundle = new Bundle.Sealed("val1-lab-main-00000000000000000001",
            "ciphertext".getBytes(StandardCharsets.UTF_8), "{\"header\":\"h\"}".getBytes(StandardCharsets.UTF_8));

    @BeforeEach
    void setUp() throws Exception {
        root = Files.createDirectories(dir.resolve("drop"));
        Files.createDirectories(root.resolve("incoming"));
        key = dir.resolve("push_ed25519");
        pub = SftpServer.clientKey(key);
        knownHosts = dir.resolve("known_hosts");
    }

    SftpUploader uploader(int connectMs, int timeoutMs) {
        return new SftpUploader(key, knownHosts, connectMs, timeoutMs);
    }

    SftpUploader.Target target(int port) {
        return new SftpUploader.Target("lab-backup", "127.0.0.1", port, "drop", "/incoming");
    }

    List<String> incoming() throws Exception {
        try (Stream<Path> s = Files.list(root.resolve("incoming"))) {
            return new ArrayList<>(s.map(p -> p.getFileName().toString()).sorted().toList());
        }
    }

    @Test
    void uploadsBothFilesUnderTheirFinalNamesAndNoTempFileRemains() throws Exception {
        try (SftpServer server = new SftpServer(root, "drop", pub)) {
            server.writeKnownHosts(knownHosts);
            uploader(2000, 3000).upload(target(server.port()), bundle);
            assertEquals(List.of(bundle.name() + ".age", bundle.name() + ".sig"), incoming());
            assertArrayEquals(bundle.ciphertext(), Files.readAllBytes(root.resolve("incoming/" + bundle.name() + ".age")));
            // a retry after success is harmless
            uploader(2000, 3000).upload(target(server.port()), bundle);
            assertEquals(2, incoming().size());
        }
    }

    @Test
    void aChangedHostKeyIsRefusedAndNothingIsSent() throws Exception {
        try (SftpServer server = new SftpServer(root, "drop", pub)) {
            try (SftpServer impostor = new SftpServer(dir, "drop", pub)) {
                Files.writeString(knownHosts, impostor.knownHostsLine().replace(":" + impostor.port(), ":" + server.port()) + "\n");
            }
            SftpUploader.UploadException e = assertThrows(SftpUploader.UploadException.class,
                    () -> uploader(2000, 3000).upload(target(server.port()), bundle));
            assertEquals(SftpUploader.UploadException.Kind.HOST_KEY, e.kind());
            assertTrue(e.getMessage().contains("CHANGED"), e.getMessage());
            // the fingerprint as OpenSSH prints it, so an operator can compare it with ssh-keygen -lf on the host
            Path serverKey = dir.resolve("server.pub");
            Files.writeString(serverKey, server.knownHostsLine().substring(server.knownHostsLine().indexOf(' ') + 1) + "\n");
            Process p = new ProcessBuilder("ssh-keygen", "-l", "-f", serverKey.toString()).redirectErrorStream(true).start();
            String fingerprint = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).split(" ")[1];
            assertEquals(0, p.waitFor());
            assertTrue(fingerprint.startsWith("SHA256:") && e.getMessage().contains("now " + fingerprint + ","), fingerprint + " in "
                    + e.getMessage());
            assertEquals(List.of(), incoming());
        }
    }

    /** Keys travel only under the ciphers OpenSSH offers by default: a server offering only CBC or 3DES is refused. */
    @Test
    void aServerOfferingOnlyOldCiphersIsRefused() throws Exception {
        try (SftpServer server = new SftpServer(root, "drop", pub)) {
            server.writeKnownHosts(knownHosts);
            server.offerOnly(org.apache.sshd.common.cipher.BuiltinCiphers.tripledescbc,
                    org.apache.sshd.common.cipher.BuiltinCiphers.aes128cbc, org.apache.sshd.common.cipher.BuiltinCiphers.blowfishcbc);
            assertThrows(SftpUploader.UploadException.class, () -> uploader(2000, 3000).upload(target(server.port()), bundle));
            assertEquals(List.of(), incoming());
            server.offerOnly(org.apache.sshd.common.cipher.BuiltinCiphers.aes256ctr);
            uploader(2000, 3000).upload(target(server.port()), bundle);
            assertEquals(2, incoming().size());
        }
    }

    @Test
    void anUnknownHostIsRefused() throws Exception {
        try (SftpServer server = new SftpServer(root, "drop", pub)) {
            Files.writeString(knownHosts, "");
            SftpUploader.UploadException e = assertThrows(SftpUploader.UploadException.class,
                    () -> uploader(2000, 3000).upload(target(server.port()), bundle));
            assertEquals(SftpUploader.UploadException.Kind.HOST_KEY, e.kind());
            assertTrue(e.getMessage().contains("unknown host"), e.getMessage());
            Files.delete(knownHosts);
            assertEquals(SftpUploader.UploadException.Kind.HOST_KEY, assertThrows(SftpUploader.UploadException.class,
                    () -> uploader(2000, 3000).upload(target(server.port()), bundle)).kind());
            assertEquals(List.of(), incoming());
        }
    }

    @Test
    void aServerThatNeverAnswersCostsABoundedWait() throws Exception {
        try (ServerSocket silent = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            List<Socket> held = new ArrayList<>();
            Thread t = new Thread(() -> {
                try {
                    while (true) {
                        held.add(silent.accept());
                    }
                } catch (Exception e) {
                    // closed
                }
            });
            t.setDaemon(true);
            t.start();
            Files.writeString(knownHosts, "[127.0.0.1]:" + silent.getLocalPort() + " ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGp7\n");
            long t0 = System.nanoTime();
            SftpUploader.UploadException e = assertThrows(SftpUploader.UploadException.class,
                    () -> uploader(1000, 1500).upload(target(silent.getLocalPort()), bundle));
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertEquals(SftpUploader.UploadException.Kind.UNREACHABLE, e.kind(), e.getMessage());
            assertTrue(ms < 6000, "gave up after " + ms + " ms");
            for (Socket s : held) {
                s.close();
            }
        }
    }

    @Test
    void aRefusedClientKeyIsAnAuthFailure() throws Exception {
        String otherPub = SftpServer.clientKey(dir.resolve("other"));
        try (SftpServer server = new SftpServer(root, "drop", otherPub)) {
            server.writeKnownHosts(knownHosts);
            assertEquals(SftpUploader.UploadException.Kind.AUTH, assertThrows(SftpUploader.UploadException.class,
                    () -> uploader(2000, 3000).upload(target(server.port()), bundle)).kind());
        }
    }
}
