package dev.understudy.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import dev.understudy.testing.HttpStub;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The whole answer within the deadline, against a real HTTP server on loopback that sends its headers and half its
 * body and then stalls (as a peer frozen or powered off in the middle of its answer): the JDK's own request timeout
 * would wait for the rest.
 */
class HttpCallsTest {
    volatile byte[] body = "{\"ok\": true, \"padding\": \"..............................\"}".getBytes(StandardCharsets.UTF_8);
    HttpStub server;

    @BeforeEach
    void serve() throws IOException {
        server = new HttpStub(() -> body);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    String url() {
        return server.url();
    }

    @Test
    void aBodyThatStallsEndsTheCallAtTheDeadline() throws Exception {
        HttpClient c = HttpClient.newHttpClient();
        HttpRequest r = HttpRequest.newBuilder(URI.create(url() + "/x")).timeout(Duration.ofMillis(300)).build();
        assertEquals(new String(body, StandardCharsets.UTF_8),
                new String(HttpCalls.send(c, r, Duration.ofMillis(300), 1024).body(), StandardCharsets.UTF_8));
        server.stallMs = 5000;
        long t0 = System.nanoTime();
        HttpTimeoutException e = assertThrows(HttpTimeoutException.class, () -> HttpCalls.send(c, r, Duration.ofMillis(300), 1024));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(ms < 2000, "gave up after " + ms + " ms, not when the body ended");
        assertTrue(e.getMessage().contains("no whole answer within 300 ms"), e.getMessage());
    }

    @Test
    void anAnswerOverTheLimitIsRefused() throws Exception {
        body = new byte[5000];
        HttpRequest r = HttpRequest.newBuilder(URI.create(url() + "/x")).build();
        HttpCalls.TooLong e = assertThrows(HttpCalls.TooLong.class,
                () -> HttpCalls.send(HttpClient.newHttpClient(), r, Duration.ofSeconds(2), 4096));
        assertEquals("answer longer than 4096 bytes", e.getMessage());
    }

    /** The simnet and MultiversX clients (HttpJson) get the same deadline. */
    @Test
    void httpJsonGivesUpOnAStalledBodyAtItsTimeout() throws Exception {
        server.stallMs = 5000;
        long t0 = System.nanoTime();
        IOException e = assertThrows(IOException.class, () -> new HttpJson(url(), Duration.ofMillis(300)).get("/status"));
        assertTrue((System.nanoTime() - t0) / 1_000_000 < 2000);
        assertTrue(e.getMessage().startsWith(url() + "/status: no whole answer within 300 ms"), e.getMessage());
    }
}
