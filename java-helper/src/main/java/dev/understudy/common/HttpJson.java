package dev.understudy.common;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * JSON over HTTP with bounded connect and request times (the whole answer within the timeout, at most
 * {@link #MAX_ANSWER} bytes: {@link HttpCalls}); errors carry the URL and the server's message.
 */
public final class HttpJson {
    static final int MAX_ANSWER = 16 << 20;
    private final String base;
    private final HttpClient http;
    private final Duration timeout;

    public HttpJson(String baseUrl, Duration timeout) {
        this.base = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
        this.timeout = timeout;
        this.http = HttpClient.newBuilder().connectTimeout(timeout).version(HttpClient.Version.HTTP_1_1).build();
    }

    public String base() {
        return base;
    }

    /** A non-2xx answer: status and the server's error text. */
    public static final class HttpStatusException extends IOException {
        private static final long serialVersionUID = 1L;
        private final int status;

        public HttpStatusException(int status, String message) {
            super(message);
            this.status = status;
        }

        public int status() {
            return status;
        }
    }

    public JsonNode get(String path) throws IOException {
        return send(HttpRequest.newBuilder(URI.create(base + path)).GET(), path);
    }

    public JsonNode post(String path, JsonNode body) throws IOException {
        return send(HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(Json.bytes(body))), path);
    }

    private JsonNode send(HttpRequest.Builder b, String path) throws IOException {
        HttpResponse<byte[]> res;
        try {
            res = HttpCalls.send(http, b.timeout(timeout).build(), timeout, MAX_ANSWER);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted calling " + base + path, e);
        } catch (IOException e) {
            // connection errors often carry no message: name the exception
            throw new IOException(base + path + ": " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()), e);
        }
        JsonNode n;
        try {
            n = Json.MAPPER.readTree(res.body());
        } catch (IOException e) {
            throw new IOException(base + path + " answered HTTP " + res.statusCode() + " with no JSON: "
                    + new String(res.body(), 0, Math.min(200, res.body().length), StandardCharsets.UTF_8), e);
        }
        if (res.statusCode() / 100 != 2) {
            throw new HttpStatusException(res.statusCode(), base + path + ": HTTP " + res.statusCode() + ": "
                    + (n == null ? "" : n.path("error").asText("")));
        }
        return n;
    }
}
