package dev.understudy.node.everscale;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.understudy.common.HttpCalls;
import dev.understudy.common.Json;
import dev.understudy.node.Fields;
import dev.understudy.node.NodeException;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * A GraphQL endpoint of the Everscale chain (ever-q-server's API: the operator's own DApp server or a hosted one).
 * One POST of {@code {"query": ...}} per question, the whole answer within the adapter's timeout ({@link HttpCalls}); an answer over
 * {@link #MAX_ANSWER} bytes, an HTTP status other than 200, an {@code errors} list or a missing {@code data} object is
 * an error naming the endpoint.
 */
final class GraphqlEndpoint {
    static final int MAX_ANSWER = 4 << 20;

    private final URI url;
    private final Duration timeout;
    private final HttpClient client;

    GraphqlEndpoint(URI url, Duration timeout) {
        this.url = url;
        this.timeout = timeout;
        this.client = HttpClient.newBuilder().connectTimeout(timeout).followRedirects(HttpClient.Redirect.NEVER).build();
    }

    String source() {
        return "everscale graphql_url " + url;
    }

    /** The {@code data} object of the answer to {@code query}. */
    ObjectNode query(String query) throws NodeException {
        ObjectNode body = Json.object();
        body.put("query", query);
        HttpRequest req = HttpRequest.newBuilder(url).timeout(timeout).header("Content-Type", "application/json")
                .header("Accept", "application/json").POST(HttpRequest.BodyPublishers.ofByteArray(Json.bytes(body))).build();
        byte[] answer;
        int status;
        try {
            HttpResponse<byte[]> r = HttpCalls.send(client, req, timeout, MAX_ANSWER);
            status = r.statusCode();
            answer = r.body();
        } catch (HttpCalls.TooLong e) {
            throw NodeException.badOutput(source() + ": answer longer than " + MAX_ANSWER + " bytes");
        } catch (IOException e) {
            throw NodeException.unavailable(source() + ": " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw NodeException.unavailable(source() + ": interrupted", e);
        }
        if (status != 200) {
            throw NodeException.unavailable(source() + " answered HTTP " + status, null);
        }
        ObjectNode root = Fields.object(answer, source());
        JsonNode errors = root.get("errors");
        if (errors != null && !errors.isNull() && !errors.isEmpty()) {
            String first = errors.path(0).path("message").asText(errors.toString());
            throw NodeException.unavailable(source() + " refused the query: " + (first.length() > 300 ? first.substring(0, 297) + "..." : first),
                    null);
        }
        JsonNode data = root.get("data");
        if (data == null || !data.isObject()) {
            throw NodeException.badOutput(source() + ": field 'data' missing or not an object");
        }
        return (ObjectNode) data;
    }
}
