package dev.understudy.common;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.util.ArrayList;
import java.util.List;
import java.nio.file.attribute.UserPrincipal;

/** Recursive copy, ownership change and deletion of small directory trees (key directories). */
public final class FileTrees {
    private FileTrees() {
    }

    /**
     * Reads an opened file to its end, at most {@code cap} bytes: a file that is (or grows) larger is an error naming
     * {@code name}. Open it with {@code LinkOption.NOFOLLOW_LINKS}, so that a link swapped in after a check is refused.
     */
    public static byte[] readCapped(SeekableByteChannel ch, Object name, long cap) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
        long total = 0;
        int n;
        while ((n = ch.read(buf.clear())) >= 0) {
            total += n;
            if (total > cap) {
                throw new IOException(name + " grew past " + cap + " bytes while being read");
            }
            out.write(buf.array(), 0, n);
        }
        return out.toByteArray();
    }

    /**
     * Reads a regular file of at most {@code cap} bytes without following a link: for root (the node's guard) reading
     * a file in a directory a less privileged user can write (the state directory). A link, directory, FIFO or device
     * in its place, or a larger file, is an error naming it; a missing file is {@link java.nio.file.NoSuchFileException}.
     */
    public static byte[] readRegular(Path p, long cap) throws IOException {
        java.nio.file.attribute.BasicFileAttributes a = Files.readAttributes(p, java.nio.file.attribute.BasicFileAttributes.class,
                java.nio.file.LinkOption.NOFOLLOW_LINKS);
        if (!a.isRegularFile()) {
            throw new IOException(p + " is " + kind(a) + ", not a regular file; refusing to read it");
        }
        if (a.size() > cap) {
            throw new IOException(p + " is larger than " + cap + " bytes; refusing to read it");
        }
        try (SeekableByteChannel ch = Files.newByteChannel(p, java.util.Set.of(java.nio.file.StandardOpenOption.READ,
                java.nio.file.LinkOption.NOFOLLOW_LINKS))) {
            return readCapped(ch, p, cap);
        }
    }

    /** Copies FROM into TO (created 0700), keeping file modes. */
    public static void copy(Path from, Path to) throws IOException {
        AtomicFiles.createPrivateDirectories(to);
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(from)) {
            for (Path p : ds) {
                Path t = to.resolve(p.getFileName().toString());
                if (Files.isDirectory(p)) {
                    copy(p, t);
                } else {
                    Files.copy(p, t, StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
    }

    /**
     * Gives {@code p} (recursively) to {@code user} when this process may (root, or CAP_CHOWN as the agent has it) and
     * a user is named; otherwise leaves it as it is (a helper without the capability cannot, and its files are already
     * its own).
     */
    public static void chownIfAble(Path p, String user) throws IOException {
        if (user != null && !user.isEmpty() && Chown.MAY) {
            chown(p, user);
        }
    }

    /** Read once, when a chown is first asked for: no command pays for /proc/self/status unless it gives files away. */
    private static final class Chown {
        static final boolean MAY = "root".equals(System.getProperty("user.name")) || hasEffectiveCapability(readStatus(), 0);
    }

    private static String readStatus() {
        try {
            return Files.readString(Path.of("/proc/self/status"));
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }

    /** Whether {@code /proc/PID/status} text shows capability number {@code cap} (CAP_CHOWN is 0) in CapEff. */
    static boolean hasEffectiveCapability(String status, int cap) {
        for (String line : status.split("\n")) {
            if (line.startsWith("CapEff:")) {
                try {
                    return new java.math.BigInteger(line.substring(7).trim(), 16).testBit(cap);
                } catch (NumberFormatException e) {
                    return false;
                }
            }
        }
        return false;
    }

    /**
     * Whether {@code p} exists (following links), by {@code stat}: {@code Files.exists} asks {@code access(2)}, which
     * judges by the real user without capabilities, so the agent (not root, with CAP_DAC_OVERRIDE) would find nothing
     * in the node's private directories.
     */
    public static boolean exists(Path p) {
        try {
            Files.readAttributes(p, java.nio.file.attribute.BasicFileAttributes.class);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    public static void chown(Path p, String user) throws IOException {
        UserPrincipal u = p.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName(user);
        chown(p, u);
    }

    private static void chown(Path p, UserPrincipal u) throws IOException {
        Files.setOwner(p, u);
        if (Files.isDirectory(p)) {
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(p)) {
                for (Path c : ds) {
                    chown(c, u);
                }
            }
        }
    }

    public static void delete(Path p) throws IOException {
        if (!Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        if (Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(p)) {
                for (Path c : ds) {
                    delete(c);
                }
            }
        }
        Files.delete(p);
    }

    /** What a non-regular entry is, for a message: "a symbolic link", "a directory" or a special file. */
    public static String kind(java.nio.file.attribute.BasicFileAttributes a) {
        if (a.isSymbolicLink()) {
            return "a symbolic link";
        }
        if (a.isDirectory()) {
            return "a directory";
        }
        return "a special file (FIFO, socket or device)";
    }

    /** How deep {@link #deleteIn} goes before it gives up on a tree (nothing of ours nests deeper). */
    static final int MAX_DEPTH = 16;

    /**
     * Deletes the entry {@code name} of an open directory, and what is under it when it is a directory, without
     * ever following a symbolic link: every step is relative to an open directory handle, so an entry swapped for a
     * link while this runs cannot lead the deletion out of the tree. For directories a less privileged user can
     * write (the drop box), where {@link #delete} could be raced.
     */
    public static void deleteIn(SecureDirectoryStream<Path> dir, Path name) throws IOException {
        deleteIn(dir, name, 0);
    }

    private static void deleteIn(SecureDirectoryStream<Path> dir, Path name, int depth) throws IOException {
        boolean isDir = dir.getFileAttributeView(name, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                .readAttributes().isDirectory();
        if (!isDir) {
            dir.deleteFile(name);
            return;
        }
        if (depth >= MAX_DEPTH) {
            throw new IOException(name + ": directory tree deeper than " + MAX_DEPTH + " levels; not removed");
        }
        try (SecureDirectoryStream<Path> sub = dir.newDirectoryStream(name, LinkOption.NOFOLLOW_LINKS)) {
            List<Path> names = new ArrayList<>();
            for (Path c : sub) {
                names.add(c.getFileName());
            }
            for (Path c : names) {
                deleteIn(sub, c, depth + 1);
            }
        }
        dir.deleteDirectory(name);
    }
}
