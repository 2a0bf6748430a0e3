package dev.understudy.testing;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;

/**
 * A real HTTP server on loopback answering every request with {@code body} and {@link #status}, recording the request
 * bodies. It sends the headers and half the body, waits {@link #stallMs} (a peer frozen or powered off in the middle
 * of its answer), then the rest.
 */
public final class HttpStub implements AutoCloseable {
    private final HttpServer server;
    private final List<String> requests = new CopyOnWriteArrayList<>();
    public volatile int status = 200;
    public volatile long stallMs;

    public HttpStub(Supplier<byte[]> body) throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", ex -> {
            try (ex) {
                requests.add(new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
                byte[] b = body.get();
                ex.getResponseHeaders().set("Content-Type", "application/json");
                ex.sendResponseHeaders(status, b.length);
                OutputStream out = ex.getResponseBody();
                out.write(b, 0, b.length / 2);
                out.flush();
                if (stallMs > 0) {
                    Thread.sleep(stallMs);
                }
                out.write(b, b.length / 2, b.length - b.length / 2);
            } catch (InterruptedException | IOException e) {
                // the client gave up
            }
        });
        server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
        server.start();
    }

    /** {@code http://127.0.0.1:PORT}, no trailing slash. */
    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** The request bodies received, in order. */
    public List<String> requests() {
        return List.copyOf(requests);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
