package dev.understudy.common;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Set;

/** Durable writes: temp file, fsync, rename over the target, fsync the directory. Mode 0600 unless told. */
public final class AtomicFiles {
    public static final Set<PosixFilePermission> PRIVATE = PosixFilePermissions.fromString("rw-------");
    public static final Set<PosixFilePermission> PRIVATE_DIR = PosixFilePermissions.fromString("rwx------");
    /** World-readable: what another account must read (an acknowledgement in the drop). */
    public static final Set<PosixFilePermission> PUBLIC = PosixFilePermissions.fromString("rw-r--r--");
    private static final SecureRandom RANDOM = new SecureRandom();

    private AtomicFiles() {
    }

    public static void write(Path target, byte[] content) throws IOException {
        write(target, content, PRIVATE);
    }

    public static void write(Path target, byte[] content, Set<PosixFilePermission> perms) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Path tmp = tempSibling(target);
        try {
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(perms));
            // the directory may be the service user's while root writes: what was created must not have been
            // swapped for a link before it is opened or its mode set
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                ByteBuffer buf = ByteBuffer.wrap(content);
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                ch.force(true);
            }
            Files.getFileAttributeView(tmp, java.nio.file.attribute.PosixFileAttributeView.class,
                    java.nio.file.LinkOption.NOFOLLOW_LINKS).setPermissions(perms);
            ownLikeParent(tmp);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
        syncDirectory(dir);
    }

    private static final boolean ROOT = "root".equals(System.getProperty("user.name"));

    /**
     * When running as root, gives a new file the owner of its directory: state the agent (root) writes into
     * the service user's directories stays readable by the service user's commands (receive, watchdog).
     */
    public static void ownLikeParent(Path p) throws IOException {
        if (ROOT) {
            Path parent = p.toAbsolutePath().getParent();
            java.nio.file.attribute.UserPrincipal owner = Files.getOwner(parent);
            // lchown: a link planted in the directory must not hand its target to the directory's owner
            java.nio.file.attribute.PosixFileAttributeView v = Files.getFileAttributeView(p,
                    java.nio.file.attribute.PosixFileAttributeView.class, java.nio.file.LinkOption.NOFOLLOW_LINKS);
            if (!owner.equals(v.getOwner())) {
                v.setOwner(owner);
            }
        }
    }

    /** Copies a file durably (temp + fsync + rename), keeping the given mode. */
    public static void copy(Path source, Path target, Set<PosixFilePermission> perms) throws IOException {
        Path tmp = tempSibling(target);
        try {
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(perms));
            try (FileChannel in = FileChannel.open(source, StandardOpenOption.READ);
                 FileChannel out = FileChannel.open(tmp, StandardOpenOption.WRITE, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                long pos = 0;
                long size = in.size();
                while (pos < size) {
                    pos += in.transferTo(pos, size - pos, out);
                }
                out.force(true);
            }
            ownLikeParent(tmp);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
        syncDirectory(target.toAbsolutePath().getParent());
    }

    /** Moves a file within one file system and makes the move durable. */
    public static void move(Path source, Path target) throws IOException {
        Files.move(source, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        syncDirectory(target.toAbsolutePath().getParent());
        syncDirectory(source.toAbsolutePath().getParent());
    }

    public static void createPrivateDirectories(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir);
            Files.setPosixFilePermissions(dir, PRIVATE_DIR);
            ownLikeParent(dir);
        }
    }

    public static void syncDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    private static Path tempSibling(Path target) {
        byte[] r = new byte[6];
        RANDOM.nextBytes(r);
        return target.toAbsolutePath().getParent().resolve("." + target.getFileName() + ".tmp-" + HexFormat.of().formatHex(r));
    }
}
