package dev.understudy.simnet.chain;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.understudy.simnet.BadInputException;
import dev.understudy.simnet.Json;
import dev.understudy.simnet.JsonHttpServer;
import dev.understudy.simnet.Log;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/** A running chain: its state, its record file, its HTTP API and the ticker that closes elections. */
public final class Chain implements AutoCloseable {
    private final ChainState state;
    private final RecordLog log;
    private final JsonHttpServer server;
    private final ScheduledExecutorService ticker;
    private final Genesis genesis;
    private final String host;

    private Chain(Genesis genesis, ChainState state, RecordLog log, JsonHttpServer server, String host) {
        this.genesis = genesis;
        this.state = state;
        this.log = log;
        this.server = server;
        this.host = host;
        this.ticker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "chain-ticker");
            t.setDaemon(true);
            return t;
        });
    }

    public static Chain start(Path dataDir, InetSocketAddress listen, Genesis.Requested requested, LongSupplier clock)
            throws IOException, BadInputException {
        Files.createDirectories(dataDir);
        Genesis genesis = Genesis.loadOrCreate(dataDir, requested, clock.getAsLong());
        List<JsonNode> records = new ArrayList<>();
        RecordLog log = RecordLog.open(dataDir, records);
        ChainState state = new ChainState(genesis, log, clock);
        try {
            state.replay(records);
        } catch (BadInputException e) {
            log.close();
            throw e;
        }
        JsonHttpServer server = new JsonHttpServer(listen, 4);
        Chain chain = new Chain(genesis, state, log, server, listen.getHostString());
        chain.routes();
        server.start();
        long tickMs = Math.max(5, Math.min(250, genesis.schedule().roundMs() / 4));
        chain.ticker.scheduleAtFixedRate(chain::tick, tickMs, tickMs, TimeUnit.MILLISECONDS);
        Log.info("chain", genesis.chainId() + " listening on " + listen.getHostString() + ":" + server.port()
                + ", " + records.size() + " records replayed, round " + state.currentRound());
        return chain;
    }

    private void tick() {
        try {
            state.tick();
        } catch (IOException | RuntimeException e) {
            Log.info("chain", "tick failed: " + e);
        }
    }

    private void routes() {
        server.route("GET /status", r -> state.status());
        server.route("GET /validators/*", r -> {
            String rest = r.path().substring("/validators/".length());
            if (rest.endsWith("/summary")) {
                String name = rest.substring(0, rest.length() - "/summary".length());
                return state.summary(name, r.longParam("from"), r.longParam("to"));
            }
            return state.validatorStats(rest);
        });
        server.route("GET /rounds", r -> {
            Long from = r.longParam("from");
            Long to = r.longParam("to");
            long cur = state.currentRound();
            return state.rounds(r.required("validator"), from == null ? Math.max(0, cur - 100) : from,
                    to == null ? cur : to);
        });
        server.route("GET /events", r -> {
            Long since = r.longParam("since");
            Long limit = r.longParam("limit");
            return state.events(since == null ? 0 : since, limit == null ? 1000 : (int) Math.min(limit, 10_000));
        });
        server.route("POST /bids", r -> {
            ObjectNode res = state.bid(r.body());
            Log.info("chain", "bid accepted: validator " + res.get("validator").asText() + " period "
                    + res.get("period").asLong() + " key " + res.get("keyId").asText());
            return res;
        });
        server.route("POST /stall", r -> {
            ObjectNode res = state.stall(r.body());
            Log.info("chain", "STALL: no round from " + res.get("fromMillis").asLong() + " to " + res.get("toMillis").asLong()
                    + " (round " + res.get("stalledRound").asLong() + " lasts that much longer)");
            return res;
        });
        server.route("POST /votes", r -> {
            ArrayNode results = state.votes(r.body());
            for (JsonNode res : results) {
                String status = res.path("status").asText();
                if (status.equals("refused")) {
                    Log.info("chain", "vote refused: " + res.path("error").asText());
                } else if (status.equals("double_sign")) {
                    Log.info("chain", "DOUBLE SIGN recorded at round " + res.path("round").asLong());
                }
            }
            ObjectNode n = Json.object();
            n.set("results", results);
            return n;
        });
    }

    public String url() {
        String h = host.equals("0.0.0.0") ? "127.0.0.1" : host;
        return "http://" + h + ":" + server.port();
    }

    public Genesis genesis() {
        return genesis;
    }

    public ChainState state() {
        return state;
    }

    @Override
    public void close() throws IOException {
        ticker.shutdownNow();
        server.close();
        log.close();
    }
}
