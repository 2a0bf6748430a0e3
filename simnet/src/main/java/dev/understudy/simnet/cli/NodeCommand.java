package dev.understudy.simnet.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.understudy.simnet.BadInputException;
import dev.understudy.simnet.Json;
import dev.understudy.simnet.JsonHttpServer;
import dev.understudy.simnet.Log;
import dev.understudy.simnet.node.Node;
import dev.understudy.simnet.node.NodeHome;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.function.LongSupplier;
import org.apache.commons.cli.Options;

/** {@code simnet node}: a validator node with its console API. */
public final class NodeCommand {
    private NodeCommand() {
    }

    static Options options() {
        return new Options()
                .addOption(Args.required("chain", "URL", "the chain's HTTP API"))
                .addOption(Args.required("listen", "HOST:PORT", "address of the node's console API"))
                .addOption(Args.required("home", "DIR", "config.json, keyring/, wallet.pk, state.json"))
                .addOption(Args.required("validator", "NAME", "the validator this node serves"))
                .addOption(Args.flag("participate", "on a new HOME: enable election duty (create a wallet, bid with fresh keys)"))
                .addOption(Args.flag("validate", "on a new HOME: enable validation (sign rounds)"))
                .addOption(Args.opt("catchup-ms", "MS", "time to sync after the first contact with the chain (default 0)"))
                .addOption(Args.opt("sync-lag-rounds", "N", "largest lag still reported as synced (default 2)"));
    }

    /** A node plus its console API; what {@code simnet node} runs and what tests start in-process. */
    public static final class Running implements AutoCloseable {
        private final Node node;
        private final JsonHttpServer server;

        Running(Node node, JsonHttpServer server) {
            this.node = node;
            this.server = server;
        }

        public Node node() {
            return node;
        }

        public String url() {
            return "http://127.0.0.1:" + server.port();
        }

        @Override
        public void close() {
            server.close();
            node.close();
        }
    }

    public static Running start(String chainUrl, InetSocketAddress listen, Path home, String validator, boolean validate,
            boolean participate, Node.Options opts, LongSupplier clock) throws IOException, BadInputException {
        NodeHome h = NodeHome.open(home, validator, validate, participate);
        Node node = new Node(h, chainUrl, clock, opts);
        JsonHttpServer server = new JsonHttpServer(listen, 2);
        server.route("GET /status", r -> node.status());
        server.route("GET /keys", r -> node.keys());
        server.route("POST /validation", r -> {
            String src = "POST /validation body";
            boolean on = Json.bool(r.body(), "enabled", src);
            long epoch = r.body().has("epoch") ? Json.integer(r.body(), "epoch", src) : 0;
            long notBefore = r.body().has("notBeforeRound") ? Json.integer(r.body(), "notBeforeRound", src) : -1;
            long joinAfter = r.body().has("joinAfterMillis") ? Json.integer(r.body(), "joinAfterMillis", src) : -1;
            long joinUntil = r.body().has("joinUntilMillis") ? Json.integer(r.body(), "joinUntilMillis", src) : -1;
            if (epoch < 0) {
                throw new BadInputException(src + ": epoch " + epoch + " is negative");
            }
            node.setValidation(on, epoch, notBefore, joinAfter, joinUntil);
            Log.info("node", "validation " + (on ? "enabled" + (epoch > 0 ? " under epoch " + epoch : "")
                    + (notBefore >= 0 ? ", not before round " + notBefore : "")
                    + (joinAfter >= 0 ? ", joining a round begun at or after " + joinAfter + " ms if on by " + joinUntil + " ms" : "")
                    : "disabled")
                    + " by console");
            return node.status();
        });
        server.route("POST /elections", r -> {
            boolean on = Json.bool(r.body(), "enabled", "POST /elections body");
            h.setElections(on);
            Log.info("node", "election duty " + (on ? "enabled" : "disabled") + " by console");
            return node.status();
        });
        server.route("POST /import-keys", r -> {
            ObjectNode res = h.importKeys(Path.of(Json.text(r.body(), "dir", "POST /import-keys body")));
            Log.info("node", "imported keys: " + res.get("imported"));
            return res;
        });
        node.start();
        server.start();
        return new Running(node, server);
    }

    public static int run(String[] argv) throws Args.UsageException, IOException, BadInputException, InterruptedException {
        Args a = Args.parse("node", options(), argv);
        Long catchup = a.longValue("catchup-ms");
        Integer lag = a.intValue("sync-lag-rounds");
        Node.Options opts = new Node.Options(catchup == null ? 0 : catchup, lag == null ? 2 : lag);
        Running r = start(a.get("chain"), a.listen("listen"), a.path("home"), a.get("validator"), a.has("validate"),
                a.has("participate"), opts, System::currentTimeMillis);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            r.close();
            stopped.countDown();
        }));
        stopped.await();
        return 0;
    }
}
