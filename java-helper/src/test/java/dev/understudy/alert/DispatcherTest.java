package dev.understudy.alert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Deduplication, repeat, resolve, flapping, events, the rate limit, retries and state across restarts. */
class DispatcherTest {
    @TempDir
    Path dir;

    static final Instant T0 = Instant.parse("2026-11-21T12:00:00Z");
    static final Alert NO_SIGNER = Alert.of(AlertName.NO_SIGNER, "v", "", "nothing signs");
    static final Alert BACKUP = Alert.of(AlertName.BACKUP_UNHEALTHY, "v", "b", "b is out of sync");
    static final Alert ETCD = Alert.of(AlertName.ETCD_DEGRADED, "v", "", "2 of 3 answer");
    static final Alert COMPLETED = Alert.of(AlertName.FAILOVER_COMPLETED, "v", "epoch 9", "b took the role");

    /** A channel that keeps what it was given, and fails while {@code failing} is set. */
    static final class Recording implements Channel {
        final List<List<Notification>> batches = new ArrayList<>();
        boolean failing;
        String failure = "connection refused";

        @Override
        public String name() {
            return "recording";
        }

        @Override
        public void send(List<Notification> notifications) throws IOException {
            if (failing) {
                throw new IOException(failure);
            }
            batches.add(List.copyOf(notifications));
        }

        List<String> sent() {
            return batches.stream().flatMap(List::stream)
                    .map(n -> n.status().name().toLowerCase() + " " + n.alert().name() + (n.repeat() ? " (repeat)" : ""))
                    .collect(Collectors.toList());
        }

        List<String> take() {
            List<String> s = sent();
            batches.clear();
            return s;
        }
    }

    final Recording channel = new Recording();

    static AlertSettings settings(int maxPerMinute) {
        return new AlertSettings(null, Duration.ofHours(1), Duration.ofMinutes(5), maxPerMinute, null, null, null, null);
    }

    Dispatcher dispatcher(int maxPerMinute, Channel... channels) throws IOException {
        return new Dispatcher(dir.resolve("alerts.json"), List.of(channels), settings(maxPerMinute), Secrets.none());
    }

    static Instant at(long seconds) {
        return T0.plusSeconds(seconds);
    }

    @Test
    void aConditionIsSentOnceThenRepeatedHourlyThenResolved() throws IOException {
        Dispatcher d = dispatcher(20, channel);
        d.process(List.of(NO_SIGNER), at(0));
        assertEquals(List.of("firing NO_SIGNER"), channel.take());
        for (int s = 60; s < 3600; s += 60) {
            d.process(List.of(NO_SIGNER), at(s));
        }
        assertEquals(List.of(), channel.take(), "no page while the condition lasts, within the repeat interval");
        assertEquals(List.of("NO_SIGNER|v|"), d.firing());
        d.process(List.of(NO_SIGNER), at(3600));
        assertEquals(List.of("firing NO_SIGNER (repeat)"), channel.take());
        d.process(List.of(), at(3660));
        assertEquals(List.of("resolved NO_SIGNER"), channel.take());
        assertEquals(List.of(), d.firing());
        d.process(List.of(), at(3720));
        assertEquals(List.of(), channel.take(), "a resolve is sent once");
    }

    @Test
    void theResolveCarriesTheStartAndEndTimes() throws IOException {
        Dispatcher d = dispatcher(20, channel);
        d.process(List.of(BACKUP), at(0));
        channel.take();
        d.process(List.of(), at(90));
        Notification n = channel.batches.get(0).get(0);
        assertEquals(Notification.Status.RESOLVED, n.status());
        assertEquals(at(0), n.startsAt());
        assertEquals(at(90), n.endsAt());
        assertEquals("b", n.alert().subject());
    }

    @Test
    void differentSubjectsAreDifferentAlerts() throws IOException {
        Dispatcher d = dispatcher(20, channel);
        Alert other = Alert.of(AlertName.BACKUP_UNHEALTHY, "v", "b2", "b2 is unreachable");
        d.process(List.of(BACKUP), at(0));
        d.process(List.of(BACKUP, other), at(60));
        assertEquals(List.of("firing BACKUP_UNHEALTHY", "firing BACKUP_UNHEALTHY"), channel.take());
        d.process(List.of(other), at(120));
        List<Notification> last = channel.batches.get(0);
        assertEquals(1, last.size());
        assertEquals("b", last.get(0).alert().subject());
    }

    @Test
    void aFlappingConditionIsNotPagedAgainUnlessItStays() throws IOException {
        Dispatcher d = dispatcher(20, channel);
        d.process(List.of(BACKUP), at(0));
        d.process(List.of(), at(60));
        assertEquals(List.of("firing BACKUP_UNHEALTHY", "resolved BACKUP_UNHEALTHY"), channel.take());
        // back within min_refire_interval (5 min): quiet, and its end is quiet too
        d.process(List.of(BACKUP), at(120));
        d.process(List.of(), at(180));
        d.process(List.of(BACKUP), at(240));
        assertEquals(List.of(), channel.take());
        assertEquals(1, d.firing().size(), "a quiet alert still counts as firing (metrics)");
        // it stays for min_refire_interval: now it is paged
        d.process(List.of(BACKUP), at(480));
        assertEquals(List.of(), channel.take());
        d.process(List.of(BACKUP), at(540));
        assertEquals(List.of("firing BACKUP_UNHEALTHY"), channel.take());
        d.process(List.of(), at(600));
        assertEquals(List.of("resolved BACKUP_UNHEALTHY"), channel.take());
        // after min_refire_interval of calm it pages at once again
        d.process(List.of(BACKUP), at(1000));
        assertEquals(List.of("firing BACKUP_UNHEALTHY"), channel.take());
    }

    @Test
    void aCriticalAlertIsPagedEveryTimeItFires() throws IOException {
        // two failovers a minute apart, or a second double sign: never held back as flapping
        Dispatcher d = dispatcher(20, channel);
        d.process(List.of(NO_SIGNER), at(0));
        d.process(List.of(), at(10));
        d.process(List.of(NO_SIGNER), at(70));
        d.process(List.of(), at(80));
        assertEquals(List.of("firing NO_SIGNER", "resolved NO_SIGNER", "firing NO_SIGNER", "resolved NO_SIGNER"), channel.take());
    }

    @Test
    void anEventIsSentOnceAndNeverResolved() throws IOException {
        Dispatcher d = dispatcher(20, channel);
        for (int s = 0; s < 600; s += 60) {
            d.process(List.of(COMPLETED), at(s));
        }
        d.process(List.of(), at(660));
        assertEquals(List.of("firing FAILOVER_COMPLETED"), channel.take());
        assertEquals(List.of(), d.firing());
        Alert next = Alert.of(AlertName.FAILOVER_COMPLETED, "v", "epoch 12", "m took the role");
        d.process(List.of(next), at(700));
        assertEquals(List.of("firing FAILOVER_COMPLETED"), channel.take(), "a new epoch is a new event");
    }

    @Test
    void theRateLimitSendsCriticalFirstAndHoldsTheRestForLater() throws IOException {
        Dispatcher d = dispatcher(2, channel);
        Alert warn2 = Alert.of(AlertName.BACKUP_UNHEALTHY, "v", "b2", "b2 down");
        Dispatcher.Outcome o = d.process(List.of(BACKUP, ETCD, warn2, NO_SIGNER), at(0));
        assertEquals(2, o.sent().size());
        assertEquals(2, o.heldBack());
        assertEquals(List.of("firing NO_SIGNER", "firing BACKUP_UNHEALTHY"), channel.take(), "the critical alert goes first though it came last");
        o = d.process(List.of(BACKUP, ETCD, warn2, NO_SIGNER), at(30));
        assertEquals(0, o.sent().size(), "the minute's budget is spent");
        assertEquals(2, o.heldBack());
        o = d.process(List.of(BACKUP, ETCD, warn2, NO_SIGNER), at(61));
        assertEquals(2, o.sent().size(), "held-back alerts go out when the minute has passed");
        assertEquals(0, o.heldBack());
        assertEquals(List.of("ETCD_DEGRADED|v|", "BACKUP_UNHEALTHY|v|b2"), o.sent().stream().map(n -> n.alert().key()).collect(Collectors.toList()));
    }

    @Test
    void stateSurvivesARestart() throws IOException {
        dispatcher(20, channel).process(List.of(NO_SIGNER, COMPLETED), at(0));
        assertEquals(2, channel.take().size());
        Dispatcher again = dispatcher(20, channel);
        again.process(List.of(NO_SIGNER, COMPLETED), at(60));
        assertEquals(List.of(), channel.take(), "a restarted watchdog does not page again");
        again = dispatcher(20, channel);
        again.process(List.of(), at(120));
        assertEquals(List.of("resolved NO_SIGNER"), channel.take());
    }

    @Test
    void aDamagedStateFileIsSetAsideAndAlertingGoesOn() throws IOException {
        Path state = dir.resolve("alerts.json");
        Files.writeString(state, "{\"alerts\": {\"NO_SIGNER|v|\": ");
        Dispatcher d = dispatcher(20, channel);
        d.process(List.of(NO_SIGNER), at(0));
        assertEquals(List.of("firing NO_SIGNER"), channel.take());
        try (Stream<Path> s = Files.list(dir)) {
            List<String> names = s.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
            assertEquals(2, names.size(), names.toString());
            assertTrue(names.get(1).startsWith("alerts.json.corrupt-"), names.toString());
            assertEquals("{\"alerts\": {\"NO_SIGNER|v|\": ", Files.readString(dir.resolve(names.get(1))), "the damaged file is kept");
        }
    }

    @Test
    void aFailedSendIsRetriedAtTheNextCheck() throws IOException {
        Dispatcher d = dispatcher(20, channel);
        channel.failing = true;
        Dispatcher.Outcome o = d.process(List.of(NO_SIGNER, COMPLETED), at(0));
        assertEquals(List.of(), o.sent());
        assertEquals(1, o.failures().size());
        o = d.process(List.of(NO_SIGNER, COMPLETED), at(60));
        assertEquals(1, o.failures().size());
        channel.failing = false;
        d.process(List.of(NO_SIGNER, COMPLETED), at(120));
        assertEquals(List.of("firing NO_SIGNER", "firing FAILOVER_COMPLETED"), channel.take());
        d.process(List.of(NO_SIGNER, COMPLETED), at(180));
        assertEquals(List.of(), channel.take());
    }

    @Test
    void oneWorkingChannelIsEnoughAndTheFailureIsReportedWithoutItsSecret() throws Exception {
        Path env = dir.resolve("alerts.env");
        Files.writeString(env, "TG_TOKEN=123456:sekrit-token\n");
        Files.setPosixFilePermissions(env, PosixFilePermissions.fromString("rw-------"));
        Recording broken = new Recording();
        broken.failing = true;
        broken.failure = "POST https://api.telegram.org/bot123456:sekrit-token/sendMessage: 502";
        Dispatcher d = new Dispatcher(dir.resolve("alerts.json"), List.of(broken, channel), settings(20), Secrets.load(env));
        Dispatcher.Outcome o = d.process(List.of(NO_SIGNER), at(0));
        assertEquals(1, o.sent().size());
        assertEquals(List.of("firing NO_SIGNER"), channel.take());
        assertEquals(1, o.failures().size());
        assertFalse(o.failures().get(0).contains("sekrit"), o.failures().get(0));
        assertTrue(o.failures().get(0).contains("***"), o.failures().get(0));
        String state = Files.readString(dir.resolve("alerts.json"), StandardCharsets.UTF_8);
        assertFalse(state.contains("sekrit"));
        d.process(List.of(NO_SIGNER), at(60));
        assertEquals(List.of(), channel.take(), "delivered once is delivered: the broken channel does not cause repeats");
    }
}
