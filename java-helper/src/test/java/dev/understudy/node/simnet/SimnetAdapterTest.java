package dev.understudy.node.simnet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The adapter's own reading of the node's cached chain parameters, and how often it asks the node's console. */
class SimnetAdapterTest {
    @TempDir
    Path home;

    @Test
    void theCurrentPeriodCountsChainTimeSoAStallDelaysTheNextPeriod() throws Exception {
        // 1 s rounds, 10-round periods from genesis at 1 000 000; a 7.5 s stall starting at 1 015 000
        Files.writeString(home.resolve("chain.json"), """
                {"chainId":"simnet-x","genesisMillis":1000000,"roundMs":1000,"periodRounds":10,"electionRounds":4,
                 "lateHorizonRounds":30,"stalls":[{"fromMillis":1015000,"toMillis":1022500}]}
                """);
        AtomicLong now = new AtomicLong();
        SimnetAdapter a = new SimnetAdapter("val1", "http://127.0.0.1:1", "http://127.0.0.1:1", home, "validator",
                Duration.ofMillis(100), now::get);
        now.set(1_019_999);
        assertEquals(1, a.currentPeriod(), "by the wall clock period 2 would have begun at 1 020 000");
        now.set(1_027_499);
        assertEquals(1, a.currentPeriod());
        now.set(1_027_500);
        assertEquals(2, a.currentPeriod(), "period 2 begins 7.5 s late");
        Files.writeString(home.resolve("chain.json"), """
                {"chainId":"simnet-x","genesisMillis":1000000,"roundMs":1000,"periodRounds":10}
                """);
        now.set(1_020_000);
        assertEquals(2, a.currentPeriod(), "no stall: the wall clock");
    }

    /**
     * The agent's check asks for the status and then whether the node signs: one console request answers both, while
     * an answer asked before a change (a deactivation) or more than 100 ms ago is never reused.
     */
    @Test
    void aCheckAsksTheConsoleOnceAndAChangeOrAgeMakesItAskAgain() throws Exception {
        AtomicInteger asked = new AtomicInteger();
        AtomicBoolean validating = new AtomicBoolean(true);
        HttpServer console = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        console.createContext("/status", ex -> {
            asked.incrementAndGet();
            answer(ex, status(validating.get()));
        });
        console.createContext("/validation", ex -> {
            validating.set(false);
            answer(ex, status(false));
        });
        console.createContext("/elections", ex -> answer(ex, "{\"elections\":false}"));
        console.start();
        try {
            String url = "http://127.0.0.1:" + console.getAddress().getPort();
            SimnetAdapter a = new SimnetAdapter("val1", url, url, home, "validator", Duration.ofSeconds(1), System::currentTimeMillis);
            a.status(); // the first request opens the connection (slower than the sharing window on a cold JVM)
            asked.set(0);
            assertTrue(a.status().validationEnabled());
            assertTrue(a.signing());
            assertEquals(1, asked.get(), "status and signing from one request");
            a.deactivate();
            assertFalse(a.signing(), "asked again after the deactivation, not the answer from before it");
            assertEquals(2, asked.get());
            Thread.sleep(SimnetAdapter.SHARE_NANOS / 1_000_000 + 50);
            assertFalse(a.signing());
            assertEquals(3, asked.get(), "an answer older than the sharing window is not reused");
        } finally {
            console.stop(0);
        }
    }

    private static String status(boolean on) {
        return "{\"period\":3,\"synced\":true,\"lagRounds\":0,\"localRound\":70,\"validation\":" + on
                + ",\"signing\":" + on + ",\"lastError\":null,\"lastSignedRound\":69}";
    }

    private static void answer(HttpExchange ex, String json) throws IOException {
        byte[] b = json.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(200, b.length);
        ex.getResponseBody().write(b);
        ex.close();
    }
}
