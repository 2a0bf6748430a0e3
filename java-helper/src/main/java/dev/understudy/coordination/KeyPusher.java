package dev.understudy.coordination;

import dev.understudy.cli.BadInputException;
import dev.understudy.cli.TempFailException;
import dev.understudy.common.RunLock;
import dev.understudy.config.Config;
import dev.understudy.node.NodeAdapter;
import dev.understudy.node.NodeException;
import dev.understudy.transfer.Push;
import java.io.IOException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;

/**
 * The holder's key check and push, on a thread of its own (a push may take seconds): at most one at a time, under the
 * same lock as cron's `sync push`, with the config read again each time (peers' keys change with rotate-keys).
 */
final class KeyPusher implements AutoCloseable {
    private final Config config;
    private final NodeAdapter node;
    private final Consumer<String> error;
    private final ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "agent-push");
        t.setDaemon(true);
        return t;
    });
    private Future<?> running;
    /** The last configuration parsed on the push thread, and the bytes it came from. */
    private Config parsed;
    private byte[] parsedFrom;

    KeyPusher(Config config, NodeAdapter node, Consumer<String> error) {
        this.config = config;
        this.node = node;
        this.error = error;
    }

    /** Starts a push unless one is running. */
    void pushSoon() {
        if (running != null && !running.isDone()) {
            return;
        }
        running = thread.submit(() -> {
            try (RunLock lock = RunLock.acquire(config.stateDir().resolve("push.lock"), "sync push")) {
                Config current = current();
                Push.Result r = new Push(current, node, Push.uploader(current)).run(false);
                r.failures().forEach(f -> error.accept("push: " + f.getMessage()));
            } catch (TempFailException e) {
                // cron's push is running
            } catch (IOException | BadInputException | NodeException | RuntimeException e) {
                error.accept("push: " + e.getMessage());
            }
        });
    }

    /**
     * The configuration as its file says now, parsed again only when the file's bytes changed (a parse builds a YAML
     * mapper: most of a push check's allocation, every push interval).
     */
    private Config current() throws IOException, BadInputException {
        byte[] now = Config.read(config.source());
        if (parsed == null || !java.util.Arrays.equals(now, parsedFrom)) {
            parsed = Config.parse(now, config.source());
            parsedFrom = now;
        }
        return parsed;
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }
}
