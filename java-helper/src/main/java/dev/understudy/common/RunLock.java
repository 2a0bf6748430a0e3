package dev.understudy.common;

import dev.understudy.cli.TempFailException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;

/**
 * An exclusive lock on a file, so that runs of one command (cron, the agent, an operator) never overlap. Taken at
 * once or after a bounded wait; never blocks without end.
 */
public final class RunLock implements AutoCloseable {
    private static final long POLL_MS = 50;

    private final FileChannel channel;
    private final FileLock lock;

    private RunLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    /** Takes the lock at once or throws {@link TempFailException} (exit 75) naming what holds it. */
    public static RunLock acquire(Path file, String what) throws IOException, TempFailException {
        return acquire(file, what, Duration.ZERO);
    }

    /**
     * Takes the lock, waiting up to {@code wait} for another run to release it (checked every 50 ms), else throws
     * {@link TempFailException} (exit 75) naming what holds it.
     */
    public static RunLock acquire(Path file, String what, Duration wait) throws IOException, TempFailException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        FileChannel ch = open(file);
        long deadline = System.nanoTime() + wait.toNanos();
        FileLock l;
        while ((l = tryLock(ch)) == null && System.nanoTime() < deadline) {
            try {
                Thread.sleep(POLL_MS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (l == null) {
            ch.close();
            String waited = wait.isZero() ? "" : " for " + wait.toMillis() + " ms";
            throw new TempFailException("another " + what + " is running (lock " + file + " held" + waited + "); try again later");
        }
        return new RunLock(ch, l);
    }

    /**
     * Opens the lock file without following a link and only if it is a regular file: the directory may be
     * writable by a less privileged user than the caller (root's agent locks in the service user's state
     * directory), who must not be able to point root at another file or at a FIFO that blocks the open.
     */
    private static FileChannel open(Path file) throws IOException {
        try {
            FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                    LinkOption.NOFOLLOW_LINKS);
            AtomicFiles.ownLikeParent(file);
            return ch;
        } catch (FileAlreadyExistsException e) {
            BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            if (!a.isRegularFile()) {
                throw new IOException("lock file " + file + " is " + FileTrees.kind(a) + ", not a regular file; refusing to"
                        + " open it (remove it if nothing should have put it there)");
            }
            return FileChannel.open(file, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
        }
    }

    private static FileLock tryLock(FileChannel ch) throws IOException {
        try {
            return ch.tryLock();
        } catch (OverlappingFileLockException e) {
            return null;
        }
    }

    @Override
    public void close() throws IOException {
        lock.release();
        channel.close();
    }
}
