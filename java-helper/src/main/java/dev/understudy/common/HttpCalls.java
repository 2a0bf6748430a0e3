package dev.understudy.common;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Every HTTP call of the helper: the whole answer within a deadline, and no more than a given size. The JDK's
 * request timeout ends when the response's headers arrive; a peer that then stalls — frozen, or powered off with
 * the rest of its answer unsent, leaving the connection open — would hold the caller for as long as TCP keeps the
 * connection, so the body is read under the same deadline and the exchange is cancelled at it.
 */
public final class HttpCalls {
    private HttpCalls() {
    }

    /** The answer was longer than the caller allows. */
    public static final class TooLong extends IOException {
        private static final long serialVersionUID = 1L;

        TooLong(int max) {
            super("answer longer than " + max + " bytes");
        }
    }

    /**
     * Sends {@code request} and returns the response with its whole body, within {@code deadline}; an answer over
     * {@code maxBytes} is {@link TooLong}, a deadline passed is {@link HttpTimeoutException}.
     */
    public static HttpResponse<byte[]> send(HttpClient client, HttpRequest request, Duration deadline, int maxBytes)
            throws IOException, InterruptedException {
        CompletableFuture<HttpResponse<byte[]>> call = client.sendAsync(request, r -> new Capped(maxBytes));
        try {
            return call.get(Math.max(1, deadline.toMillis()), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            call.cancel(true);
            throw new HttpTimeoutException("no whole answer within " + deadline.toMillis() + " ms");
        } catch (InterruptedException e) {
            call.cancel(true);
            throw e;
        } catch (ExecutionException e) {
            Throwable c = e.getCause() == null ? e : e.getCause();
            if (c instanceof IOException io) {
                throw io;
            }
            throw new IOException(c.toString(), c);
        }
    }

    /** Collects the body, and gives up (cancelling the exchange) once it exceeds its limit. */
    private static final class Capped implements HttpResponse.BodySubscriber<byte[]> {
        private final int max;
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();
        private final CompletableFuture<byte[]> result = new CompletableFuture<>();
        private Flow.Subscription subscription;

        Capped(int max) {
            this.max = max;
        }

        @Override
        public CompletionStage<byte[]> getBody() {
            return result;
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            subscription = s;
            s.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(List<ByteBuffer> items) {
            for (ByteBuffer b : items) {
                if (out.size() + b.remaining() > max) {
                    subscription.cancel();
                    result.completeExceptionally(new TooLong(max));
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
