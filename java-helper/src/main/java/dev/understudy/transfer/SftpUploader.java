package dev.understudy.transfer;

import dev.understudy.bundle.Bundle;
import java.io.ByteArrayInputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.util.Objects;
import net.schmizz.sshj.SSHClient;
import net.schmizz.sshj.sftp.SFTPClient;
import net.schmizz.sshj.transport.verification.OpenSSHKnownHosts;
import net.schmizz.sshj.userauth.keyprovider.KeyProvider;
import net.schmizz.sshj.xfer.InMemorySourceFile;

/**
 * Uploads a bundle to a peer's drop account over SFTP: host key pinned by known_hosts (an unknown or changed
 * key refuses the connection), connect and read timeouts, keep-alive, and each file uploaded under a temp
 * name then renamed; the .sig last, so a receiver never sees a signature without its ciphertext.
 */
public final class SftpUploader {
    private final Path privateKey;
    private final Path knownHosts;
    private final int connectTimeoutMs;
    private final int timeoutMs;

    /** Where a peer takes bundles. */
    public record Target(String host, String address, int port, String user, String dir) {
    }

    /** Why an upload failed; {@link Kind#HOST_KEY} is an attack or a reinstalled host, never retried blindly. */
    public static final class UploadException extends Exception {
        private static final long serialVersionUID = 1L;

        /** Failure classes. */
        public enum Kind { HOST_KEY, UNREACHABLE, AUTH, REMOTE }

        private final Kind kind;

        UploadException(Kind kind, String message, Throwable cause) {
            super(message, cause);
            this.kind = kind;
        }

        public Kind kind() {
            return kind;
        }
    }

    public SftpUploader(Path privateKey, Path knownHosts, int connectTimeoutMs, int timeoutMs) {
        this.privateKey = Objects.requireNonNull(privateKey, "SSH private key required");
        this.knownHosts = Objects.requireNonNull(knownHosts, "known_hosts file required");
        this.connectTimeoutMs = connectTimeoutMs;
        this.timeoutMs = timeoutMs;
    }

    /** A host key's fingerprint as OpenSSH shows it (ssh-keygen -l, the ssh client): SHA256:base64, unpadded. */
    static String sha256(PublicKey key) {
        try {
            byte[] blob = new net.schmizz.sshj.common.Buffer.PlainBuffer().putPublicKey(key).getCompactData();
            return "SHA256:" + java.util.Base64.getEncoder().withoutPadding()
                    .encodeToString(java.security.MessageDigest.getInstance("SHA-256").digest(blob));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
        }
    }

    /** known_hosts that records whether a key was unknown or changed, and accepts neither. */
    private static final class PinnedHosts extends OpenSSHKnownHosts {
        String problem;

        PinnedHosts(File f) throws IOException {
            super(f);
        }

        @Override
        protected boolean hostKeyUnverifiableAction(String hostname, PublicKey key) {
            problem = "host key of " + hostname + " (" + sha256(key) + ") is not in " + getFile()
                    + "; refusing to connect to an unknown host";
            return false;
        }

        @Override
        protected boolean hostKeyChangedAction(String hostname, PublicKey key) {
            problem = "host key of " + hostname + " CHANGED (now " + sha256(key) + ", " + getFile()
                    + " pins another): a reinstalled host or an attack; refusing to send keys. If the host was"
                    + " reinstalled, update the pinned key (re-run the understudy role)";
            return false;
        }
    }

    public void upload(Target t, Bundle.Sealed b) throws UploadException {
        session(t, "upload to " + t.dir(), sftp -> {
            put(sftp, t.dir(), b.name() + Bundle.AGE, b.ciphertext());
            put(sftp, t.dir(), b.name() + Bundle.SIG, b.signature());
            return null;
        });
    }

    /**
     * Reads a small file from the peer's drop account (its acknowledgement); null when there is none. More than
     * {@code max} bytes is an error: the file is the peer's, but the account may be a thief's too.
     */
    public byte[] read(Target t, String path, int max) throws UploadException {
        return session(t, "read " + path, sftp -> {
            if (sftp.statExistence(path) == null) {
                return null;
            }
            try (net.schmizz.sshj.sftp.RemoteFile f = sftp.open(path);
                 InputStream in = f.new RemoteFileInputStream()) {
                byte[] b = in.readNBytes(max + 1);
                if (b.length > max) {
                    throw new IOException(path + " is larger than " + max + " bytes");
                }
                return b;
            }
        });
    }

    /** One SFTP session's work. */
    private interface SftpWork<T> {
        T run(SFTPClient sftp) throws IOException;
    }

    private <T> T session(Target t, String what, SftpWork<T> work) throws UploadException {
        if (!Files.isReadable(knownHosts)) {
            throw new UploadException(UploadException.Kind.HOST_KEY, knownHosts + " is missing or unreadable: no pinned host keys",
                    null);
        }
        PinnedHosts pinned;
        try {
            pinned = new PinnedHosts(knownHosts.toFile());
        } catch (IOException e) {
            throw new UploadException(UploadException.Kind.HOST_KEY, "cannot read " + knownHosts + ": " + e.getMessage(), e);
        }
        try (SSHClient ssh = new SSHClient(new SshAlgorithms())) {
            ssh.addHostKeyVerifier(pinned);
            ssh.setConnectTimeout(connectTimeoutMs);
            ssh.setTimeout(timeoutMs);
            ssh.getTransport().setTimeoutMs(timeoutMs);
            try {
                ssh.connect(t.address(), t.port());
            } catch (IOException e) {
                if (pinned.problem != null) {
                    throw new UploadException(UploadException.Kind.HOST_KEY, t.host() + ": " + pinned.problem, e);
                }
                throw new UploadException(UploadException.Kind.UNREACHABLE, t.host() + " (" + t.address() + ":" + t.port()
                        + "): cannot connect: " + e.getMessage(), e);
            }
            ssh.getConnection().getKeepAlive().setKeepAliveInterval(5);
            try {
                KeyProvider kp = ssh.loadKeys(privateKey.toString());
                ssh.authPublickey(t.user(), kp);
            } catch (IOException e) {
                throw new UploadException(UploadException.Kind.AUTH, t.host() + ": public key authentication as " + t.user()
                        + " with " + privateKey + " failed: " + e.getMessage(), e);
            }
            try (SFTPClient sftp = ssh.newSFTPClient()) {
                return work.run(sftp);
            } catch (IOException e) {
                throw new UploadException(UploadException.Kind.REMOTE, t.host() + ": " + what + " failed: "
                        + e.getMessage(), e);
            }
        } catch (IOException e) {
            throw new UploadException(UploadException.Kind.UNREACHABLE, t.host() + ": " + e.getMessage(), e);
        }
    }

    /**
     * Temp name, then rename. OpenSSH's SFTP (version 3) renames only onto a free name, so a destination that
     * already exists (a retry after the rename succeeded) counts as delivered; bundle names are unique per
     * sequence number.
     */
    private static void put(SFTPClient sftp, String dir, String name, byte[] content) throws IOException {
        String dst = dir + "/" + name;
        if (sftp.statExistence(dst) != null) {
            return;
        }
        String tmp = dir + "/.tmp-" + name;
        if (sftp.statExistence(tmp) != null) {
            sftp.rm(tmp);
        }
        sftp.put(new Bytes(name, content), tmp);
        sftp.rename(tmp, dst);
    }

    private static final class Bytes extends InMemorySourceFile {
        private final String name;
        private final byte[] content;

        Bytes(String name, byte[] content) {
            this.name = name;
            this.content = content;
        }

        @Override
        public String getName() {
            return name;
        }

        @Override
        public long getLength() {
            return content.length;
        }

        @Override
        public InputStream getInputStream() {
            return new ByteArrayInputStream(content);
        }

        @Override
        public int getPermissions() {
            return 0640;
        }
    }
}
