package dev.understudy.coordination;

import dev.understudy.cli.BadInputException;
import dev.understudy.cli.TempFailException;
import dev.understudy.common.RunLock;
import dev.understudy.config.Config;
import dev.understudy.config.LiveConfig;
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
    private final LiveConfig live;
    private final NodeAdapter node;
    private final Consumer<String> error;
    private final ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "agent-push");
        t.setDaemon(true);
        return t;
    });
    private Future<?> running;

    KeyPusher(Config config, NodeAdapter node, Consumer<String> error) {
        this.config = config;
        this.live = new LiveConfig(config.source());
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
                Config current = live.current();
                Push.Result r = new Push(current, node, Push.uploader(current)).run(false);
                r.failures().forEach(f -> error.accept("push: " + f.getMessage()));
            } catch (TempFailException e) {
                // cron's push is running
            } catch (IOException | BadInputException | NodeException | RuntimeException e) {
                error.accept("push: " + e.getMessage());
            }
        });
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }
}
