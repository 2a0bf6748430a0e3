package dev.understudy.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.util.List;
import org.apache.sshd.common.config.keys.AuthorizedKeyEntry;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.config.keys.PublicKeyEntryResolver;
import org.apache.sshd.common.file.virtualfs.VirtualFileSystemFactory;
import org.apache.sshd.common.keyprovider.KeyPairProvider;
import org.apache.sshd.server.SshServer;
import org.apache.sshd.sftp.server.SftpSubsystemFactory;

/**
 * An embedded SFTP-only server (Apache MINA SSHD) standing in for a backup's drop account: one user, one
 * authorised key, a file system rooted at a directory, and its own host key for known_hosts.
 */
public final class SftpServer implements AutoCloseable {
    private final SshServer sshd;
    private final KeyPair hostKey;

    public SftpServer(Path root, String user, String authorizedKeyLine) throws IOException, GeneralSecurityException {
        this(root, user, authorizedKeyLine, newHostKey());
    }

    public SftpServer(Path root, String user, String authorizedKeyLine, KeyPair hostKey) throws IOException, GeneralSecurityException {
        this.hostKey = hostKey;
        PublicKey allowed = AuthorizedKeyEntry.parseAuthorizedKeyEntry(authorizedKeyLine)
                .resolvePublicKey(null, PublicKeyEntryResolver.IGNORING);
        sshd = SshServer.setUpDefaultServer();
        sshd.setHost("127.0.0.1");
        sshd.setPort(0);
        sshd.setKeyPairProvider(KeyPairProvider.wrap(hostKey));
        sshd.setPublickeyAuthenticator((u, key, session) -> u.equals(user) && KeyUtils.compareKeys(key, allowed));
        sshd.setPasswordAuthenticator(null);
        sshd.setKeyboardInteractiveAuthenticator(null);
        sshd.setSubsystemFactories(List.of(new SftpSubsystemFactory()));
        sshd.setFileSystemFactory(new VirtualFileSystemFactory(root));
        sshd.start();
    }

    public static KeyPair newHostKey() throws GeneralSecurityException {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(256);
        return g.generateKeyPair();
    }

    public int port() {
        return sshd.getPort();
    }

    /** From the next connection on, the server offers only these ciphers (a server a client should refuse). */
    public void offerOnly(org.apache.sshd.common.cipher.BuiltinCiphers... ciphers) {
        sshd.setCipherFactories(new java.util.ArrayList<>(List.of(ciphers)));
    }

    /** The known_hosts line pinning this server's host key. */
    public String knownHostsLine() {
        return "[127.0.0.1]:" + port() + " " + PublicKeyEntry.toString(hostKey.getPublic());
    }

    public void writeKnownHosts(Path file) throws IOException {
        Files.writeString(file, knownHostsLine() + "\n", StandardCharsets.UTF_8);
    }

    /** Adds this server's line to a known_hosts file that lists others too. */
    public void addToKnownHosts(Path file) throws IOException {
        Files.writeString(file, knownHostsLine() + "\n", StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.APPEND);
    }

    @Override
    public void close() throws IOException {
        sshd.stop(true);
    }

    /** Makes an OpenSSH ed25519 client key with ssh-keygen; returns its public key line. */
    public static String clientKey(Path privateKey) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "test", "-f", privateKey.toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IOException("ssh-keygen failed: " + out);
        }
        return Files.readString(Path.of(privateKey + ".pub")).trim();
    }
}
