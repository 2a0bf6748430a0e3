package dev.understudy.coordination;

import dev.understudy.config.CoordinationSettings;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * A hang watchdog the agent arms while it holds the signing role: if the agent stops feeding it (frozen,
 * deadlocked, starved), the host is reset before the lease can pass to another host. Disarmed only after the
 * node has been deactivated.
 */
public interface HangWatchdog extends AutoCloseable {
    void arm() throws IOException;

    void feed() throws IOException;

    /** The magic close: stop the countdown (only after the node stopped signing). */
    void disarm() throws IOException;

    boolean armed();

    @Override
    default void close() throws IOException {
        if (armed()) {
            disarm();
        }
    }

    static HangWatchdog create(CoordinationSettings.WatchdogSettings s) {
        return switch (s.driver()) {
            case "device" -> new Device(s.path());
            case "file" -> new EmulatedFile(s.path(), s.timeout().toMillis());
            default -> new None();
        };
    }

    /** No watchdog: a hung agent is then caught only by the standby's chain evidence check. */
    final class None implements HangWatchdog {
        @Override
        public void arm() {
        }

        @Override
        public void feed() {
        }

        @Override
        public void disarm() {
        }

        @Override
        public boolean armed() {
            return false;
        }
    }

    /**
     * The Linux watchdog device (softdog or hardware): opening it arms it, any write feeds it, writing 'V' and
     * closing it disarms it (unless the driver was loaded with nowayout). Its timeout is the driver's
     * (softdog's soft_margin, set by the role); timeout_ms in the config must match it.
     */
    final class Device implements HangWatchdog {
        private final Path path;
        private FileOutputStream out;

        Device(Path path) {
            this.path = path;
        }

        @Override
        public synchronized void arm() throws IOException {
            if (out == null) {
                out = new FileOutputStream(path.toFile());
            }
        }

        @Override
        public synchronized void feed() throws IOException {
            if (out != null) {
                out.write('\0');
                out.flush();
            }
        }

        @Override
        public synchronized void disarm() throws IOException {
            if (out != null) {
                out.write('V');
                out.flush();
                out.close();
                out = null;
            }
        }

        @Override
        public synchronized boolean armed() {
            return out != null;
        }
    }

    /**
     * The lab's watchdog: the state file {@code armed TIMEOUT_MS SEQ} is rewritten on every feed; the lab's
     * emulator, outside the host, resets the host when an armed file is not rewritten within the timeout.
     * A feed is a write and a rename, like a write to the device: no fsync. It runs every 50 ms, and on a busy
     * disk an fsync can take longer than the whole timeout (the lab's hosts were reset while their agents ran
     * normally: "not fed for 767 ms (timeout 700 ms)" during an Ansible run). The emulator reads the file's
     * time and content from the page cache; a reset loses the file anyway (a booting host starts disarmed).
     * A feed within an eighth of the timeout of the last rewrite is not written again: the emulator sees a feed at
     * most that much older than it was given (88 ms of the lab's 700), and the agent's 20 feeds a second do not
     * cost the lab's hosts a file rewrite each, which the device's one-byte write does not cost production.
     */
    final class EmulatedFile implements HangWatchdog {
        private final Path path;
        private final long timeoutMs;
        private final long rewriteAfterNanos;
        private long seq;
        private boolean armed;
        private long writtenAtNanos;

        EmulatedFile(Path path, long timeoutMs) {
            this.path = path;
            this.timeoutMs = timeoutMs;
            this.rewriteAfterNanos = timeoutMs * 1_000_000 / 8;
        }

        private void write(String state) throws IOException {
            Path tmp = path.resolveSibling(path.getFileName() + ".feed");
            Files.write(tmp, (state + "\n").getBytes(StandardCharsets.US_ASCII));
            Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            writtenAtNanos = System.nanoTime();
        }

        @Override
        public synchronized void arm() throws IOException {
            armed = true;
            writeArmed();
        }

        @Override
        public synchronized void feed() throws IOException {
            if (armed && System.nanoTime() - writtenAtNanos >= rewriteAfterNanos) {
                writeArmed();
            }
        }

        private void writeArmed() throws IOException {
            write("armed " + timeoutMs + " " + (++seq));
        }

        @Override
        public synchronized void disarm() throws IOException {
            armed = false;
            write("disarmed");
        }

        @Override
        public synchronized boolean armed() {
            return armed;
        }
    }
}
