package dev.understudy.testing;

import dev.understudy.common.RunLock;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * A second process that takes a {@link RunLock} (as the agent or a cron run would), prints "held", keeps the lock for
 * the given milliseconds and exits. Locks between processes are what the field sees; within one JVM they behave
 * differently (OverlappingFileLockException).
 */
public final class LockHolder {
    private LockHolder() {
    }

    public static void main(String[] args) throws Exception {
        try (RunLock lock = RunLock.acquire(Path.of(args[0]), "lock holder")) {
            System.out.println("held");
            System.out.flush();
            Thread.sleep(Long.parseLong(args[1]));
        }
    }

    /** A running holder; closing it ends the process if it still runs. */
    public record Held(Process process) implements AutoCloseable {
        @Override
        public void close() throws InterruptedException {
            process.destroyForcibly().waitFor();
        }
    }

    /** Starts a holder of {@code file} for {@code ms} and returns once it holds the lock. */
    public static Held hold(Path file, long ms) throws Exception {
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(javaBin, "-cp", System.getProperty("java.class.path"), LockHolder.class.getName(),
                file.toString(), Long.toString(ms)).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String line = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)).readLine();
        if (!"held".equals(line)) {
            p.destroyForcibly();
            throw new IllegalStateException("the lock holder did not take " + file + ": " + line);
        }
        return new Held(p);
    }
}
