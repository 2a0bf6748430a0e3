package dev.understudy.common;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs an external command without a shell: argv as given, stdin empty or from a file, stdout and stderr to private temporary
 * files (so a chatty command can never block on a full pipe), killed with its children when it overruns its
 * timeout. Output beyond {@link #MAX_OUTPUT} bytes is an error, not silently cut.
 */
public final class Command {
    public static final int MAX_OUTPUT = 1 << 20;
    private static final int STDERR_TAIL = 2000;

    /** What the command did: its exit code, its stdout, and the end of its stderr (for error messages). */
    public record Result(int exit, String stdout, String stderrTail) {
    }

    /** The command could not start, overran its timeout, or wrote too much. */
    public static final class Failure extends IOException {
        private static final long serialVersionUID = 1L;

        Failure(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private Command() {
    }

    public static Result run(List<String> argv, Map<String, String> env, Duration timeout) throws Failure {
        return run(argv, env, timeout, null);
    }

    /**
     * As {@link #run(List, Map, Duration)}, with {@code stdin} (if not null) as the command's input, from a private
     * temporary file: a command that exits without reading it is not an error of the caller's.
     */
    public static Result run(List<String> argv, Map<String, String> env, Duration timeout, byte[] stdin) throws Failure {
        Path out = null;
        Path err = null;
        Path in = null;
        Process p = null;
        try {
            out = Files.createTempFile("understudy-cmd-", ".out");
            err = Files.createTempFile("understudy-cmd-", ".err");
            java.io.File input = new java.io.File("/dev/null");
            if (stdin != null) {
                in = Files.createTempFile("understudy-cmd-", ".in");
                Files.write(in, stdin);
                input = in.toFile();
            }
            ProcessBuilder pb = new ProcessBuilder(argv).redirectInput(ProcessBuilder.Redirect.from(input))
                    .redirectOutput(out.toFile()).redirectError(err.toFile());
            pb.environment().putAll(env);
            p = pb.start();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                kill(p);
                throw new Failure(argv.get(0) + " did not finish in " + timeout.toMillis() + " ms (killed)", null);
            }
            if (Files.size(out) > MAX_OUTPUT) {
                throw new Failure(argv.get(0) + " wrote more than " + MAX_OUTPUT + " bytes to stdout", null);
            }
            String stdout = Files.readString(out, StandardCharsets.UTF_8);
            byte[] e = Files.readAllBytes(err);
            String tail = new String(e, Math.max(0, e.length - STDERR_TAIL), Math.min(e.length, STDERR_TAIL), StandardCharsets.UTF_8).trim();
            return new Result(p.exitValue(), stdout, tail);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            kill(p);
            throw new Failure(argv.get(0) + ": interrupted", e);
        } catch (Failure e) {
            throw e;
        } catch (IOException e) {
            throw new Failure(argv.get(0) + ": " + e.getMessage(), e);
        } finally {
            deleteQuietly(out);
            deleteQuietly(err);
            deleteQuietly(in);
        }
    }

    private static void kill(Process p) {
        if (p == null) {
            return;
        }
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
    }

    private static void deleteQuietly(Path f) {
        if (f != null) {
            try {
                Files.deleteIfExists(f);
            } catch (IOException ignored) {
                // a temp file left behind is harmless; the command's result is what matters
            }
        }
    }
}
