package dev.understudy.simnet;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** JSON calls to a chain or node with bounded connect and request times. */
public final class JsonHttpClient {
    private final String base;
    private final HttpClient http;
    private final Duration requestTimeout;

    public JsonHttpClient(String baseUrl, Duration connectTimeout, Duration requestTimeout) {
        String b = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
        if (!b.startsWith("http://") && !b.startsWith("https://")) {
            throw new IllegalArgumentException("URL must start with http:// or https://, got " + baseUrl);
        }
        this.base = b;
        this.http = HttpClient.newBuilder().connectTimeout(connectTimeout).version(HttpClient.Version.HTTP_1_1).build();
        this.requestTimeout = requestTimeout;
    }

    public String base() {
        return base;
    }

    /** An HTTP answer that was not 2xx; carries the server's error text. */
    public static final class HttpError extends Exception {
        private static final long serialVersionUID = 1L;
        private final int status;

        public HttpError(int status, String message) {
            super(message);
            this.status = status;
        }

        public int status() {
            return status;
        }
    }

    public JsonNode get(String path) throws IOException, HttpError {
        return send(HttpRequest.newBuilder(URI.create(base + path)).GET(), path);
    }

    public JsonNode post(String path, JsonNode body) throws IOException, HttpError {
        return send(HttpRequest.newBuilder(URI.create(base + path))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(Json.bytes(body))), path);
    }

    private JsonNode send(HttpRequest.Builder b, String path) throws IOException, HttpError {
        HttpResponse<byte[]> res;
        try {
            res = http.send(b.timeout(requestTimeout).build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted calling " + base + path, e);
        }
        JsonNode n;
        try {
            n = Json.parse(res.body(), base + path);
        } catch (BadInputException e) {
            throw new IOException(e.getMessage(), e);
        }
        if (res.statusCode() / 100 != 2) {
            throw new HttpError(res.statusCode(), n.path("error").asText("HTTP " + res.statusCode() + " from " + base + path));
        }
        return n;
    }
}
