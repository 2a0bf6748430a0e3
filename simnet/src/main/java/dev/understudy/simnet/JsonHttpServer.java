package dev.understudy.simnet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/** A small JSON-over-HTTP server on the JDK's HttpServer: routes by method and path, errors as {"error": ...}. */
public final class JsonHttpServer implements AutoCloseable {
    private static final int MAX_BODY = 4 * 1024 * 1024;

    /** One request: path, query parameters and the parsed body (for POST). */
    public record Request(String path, Map<String, String> query, JsonNode body) {
        public Long longParam(String name) throws BadInputException {
            String v = query.get(name);
            if (v == null || v.isEmpty()) {
                return null;
            }
            try {
                return Long.parseLong(v);
            } catch (NumberFormatException e) {
                throw new BadInputException("query parameter '" + name + "' must be an integer, got '" + v + "'", e);
            }
        }

        public String required(String name) throws BadInputException {
            String v = query.get(name);
            if (v == null || v.isEmpty()) {
                throw new BadInputException("query parameter '" + name + "' is required");
            }
            return v;
        }
    }

    /** A route's work; thrown exceptions become error responses. */
    @FunctionalInterface
    public interface Handler {
        JsonNode handle(Request request) throws Exception;
    }

    private final HttpServer server;
    private final ExecutorService executor;
    private final Map<String, Handler> routes = new LinkedHashMap<>();

    public JsonHttpServer(InetSocketAddress listen, int threads) throws IOException {
        server = HttpServer.create(listen, 64);
        executor = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "http");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext("/", this::dispatch);
    }

    /** Registers "GET /status" style routes; a trailing '*' matches any path with that prefix. */
    public JsonHttpServer route(String methodAndPath, Handler handler) {
        routes.put(methodAndPath, handler);
        return this;
    }

    public void start() {
        server.start();
    }

    public int port() {
        return server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }

    private Handler find(String method, String path) {
        Handler exact = routes.get(method + " " + path);
        if (exact != null) {
            return exact;
        }
        for (Map.Entry<String, Handler> e : routes.entrySet()) {
            String k = e.getKey();
            if (k.endsWith("*") && (method + " " + path).startsWith(k.substring(0, k.length() - 1))) {
                return e.getValue();
            }
        }
        return null;
    }

    private void dispatch(HttpExchange ex) throws IOException {
        int status = 200;
        JsonNode out;
        try {
            String method = ex.getRequestMethod();
            String path = ex.getRequestURI().getPath();
            Handler h = find(method, path);
            if (h == null) {
                throw new NotFoundException("no route " + method + " " + path);
            }
            JsonNode body = null;
            if (method.equals("POST") || method.equals("PUT")) {
                body = Json.parse(readBody(ex.getRequestBody()), method + " " + path + " body");
            }
            out = h.handle(new Request(path, query(ex.getRequestURI().getRawQuery()), body));
        } catch (BadInputException e) {
            status = 400;
            out = error(e.getMessage());
        } catch (NotFoundException e) {
            status = 404;
            out = error(e.getMessage());
        } catch (ConflictException e) {
            status = 409;
            out = error(e.getMessage());
        } catch (IOException e) {
            status = 503;
            out = error("storage or network failure: " + e.getMessage());
        } catch (Exception e) {
            status = 500;
            out = error("internal error: " + e);
        }
        byte[] bytes = Json.bytes(out);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream os = ex.getResponseBody()) {
            os.write(bytes);
        }
    }

    private static byte[] readBody(InputStream in) throws IOException, BadInputException {
        byte[] body = in.readNBytes(MAX_BODY + 1);
        if (body.length > MAX_BODY) {
            throw new BadInputException("request body larger than " + MAX_BODY + " bytes");
        }
        return body;
    }

    private static ObjectNode error(String message) {
        ObjectNode n = Json.object();
        n.put("error", message);
        return n;
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> q = new HashMap<>();
        if (raw == null || raw.isEmpty()) {
            return q;
        }
        for (String part : raw.split("&")) {
            int eq = part.indexOf('=');
            String k = eq < 0 ? part : part.substring(0, eq);
            String v = eq < 0 ? "" : part.substring(eq + 1);
            q.put(URLDecoder.decode(k, StandardCharsets.UTF_8), URLDecoder.decode(v, StandardCharsets.UTF_8));
        }
        return q;
    }
}
