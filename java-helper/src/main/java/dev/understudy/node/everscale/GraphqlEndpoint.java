package dev.understudy.node.everscale;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
 * One POST of {@code {"query": ...}} per question, bounded by the adapter's timeout; an answer over
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
        java.util.concurrent.CompletableFuture<HttpResponse<byte[]>> call = client.sendAsync(req, r -> new Capped());
        try {
            // the whole answer within the timeout: an endpoint that stalls in the middle of its body is a hung one
            HttpResponse<byte[]> r = call.get(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
            status = r.statusCode();
            answer = r.body();
        } catch (java.util.concurrent.TimeoutException e) {
            call.cancel(true);
            throw NodeException.unavailable(source() + ": no whole answer within " + timeout.toMillis() + " ms", e);
        } catch (java.util.concurrent.ExecutionException e) {
            Throwable c = e.getCause() == null ? e : e.getCause();
            if (c instanceof TooLong) {
                throw NodeException.badOutput(source() + ": answer longer than " + MAX_ANSWER + " bytes");
            }
            throw NodeException.unavailable(source() + ": " + c, c);
        } catch (InterruptedException e) {
            call.cancel(true);
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

    private static final class TooLong extends IOException {
        private static final long serialVersionUID = 1L;
    }

    /** Collects the body, and gives up (cancelling the exchange) once it exceeds {@link #MAX_ANSWER} bytes. */
    private static final class Capped implements HttpResponse.BodySubscriber<byte[]> {
        private final java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        private final java.util.concurrent.CompletableFuture<byte[]> result = new java.util.concurrent.CompletableFuture<>();
        private java.util.concurrent.Flow.Subscription subscription;

        @Override
        public java.util.concurrent.CompletionStage<byte[]> getBody() {
            return result;
        }

        @Override
        public void onSubscribe(java.util.concurrent.Flow.Subscription s) {
            subscription = s;
            s.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(java.util.List<java.nio.ByteBuffer> items) {
            for (java.nio.ByteBuffer b : items) {
                if (out.size() + b.remaining() > MAX_ANSWER) {
                    subscription.cancel();
                    result.completeExceptionally(new TooLong());
                    return;
                }
                byte[] chunk = new byte[b.remaining()];
                b.get(chunk);
                out.write(chunk, 0, chunk.length);
            }
        }

        @Override
        public void onError(Throwable t) {
            result.completeExceptionally(t);
        }

        @Override
        public void onComplete() {
            result.complete(out.toByteArray());
        }
    }
}
