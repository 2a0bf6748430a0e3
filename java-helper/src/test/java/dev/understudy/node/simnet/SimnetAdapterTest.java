package dev.understudy.node.simnet;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The adapter's own reading of the node's cached chain parameters (the periods of the keys it sends). */
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
}
