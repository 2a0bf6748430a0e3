package dev.understudy.alert;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.understudy.common.AtomicFiles;
import dev.understudy.common.Json;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Turns "these alerts are active now" into notifications, with state that survives restarts
 * ({@code alerts.json}): a condition is sent when it starts, repeated every {@code repeat_interval}, and resolved
 * when it ends; a warning that re-fires within {@code min_refire_interval} of resolving is not sent again (flapping);
 * an event is sent once; at most {@code max_per_minute} notifications go out, critical ones first. State moves
 * on only when at least one channel took the notifications, so a failed send is retried at the next check.
 */
public final class Dispatcher {
    private static final Logger LOG = LogManager.getLogger(Dispatcher.class);
    static final Duration FORGET_AFTER = Duration.ofDays(7);

    private final Path stateFile;
    private final List<Channel> channels;
    private final AlertSettings settings;
    private final Secrets secrets;

    /** One check's outcome: what was sent, what the rate limit held back, which channels failed. */
    public record Outcome(List<Notification> sent, int heldBack, List<String> failures) {
    }

    private static final class Entry {
        String status;
        Instant startsAt;
        Instant lastSentAt;
        Instant lastFiredAt;
        Instant resolvedAt;
        String summary;
        int sends;
        /** Fired again within min_refire_interval of resolving: not paged (yet), resolves silently. */
        boolean quiet;
    }

    private final Map<String, Entry> state = new LinkedHashMap<>();
    private final Deque<Instant> sentTimes = new ArrayDeque<>();

    public Dispatcher(Path stateFile, List<Channel> channels, AlertSettings settings, Secrets secrets) throws IOException {
        this.stateFile = stateFile;
        this.channels = List.copyOf(channels);
        this.settings = settings;
        this.secrets = secrets;
        load();
    }

    private void load() throws IOException {
        // a watchdog that stops alerting because its memory is damaged is worse than one repeated page
        ObjectNode n = Json.readStateOrSetAside(stateFile, LOG);
        if (n == null) {
            return;
        }
        n.path("alerts").fields().forEachRemaining(e -> {
            JsonNode v = e.getValue();
            Entry x = new Entry();
            x.status = v.path("status").asText();
            x.startsAt = time(v, "startsAt");
            x.lastSentAt = time(v, "lastSentAt");
            x.lastFiredAt = time(v, "lastFiredAt");
            x.resolvedAt = time(v, "resolvedAt");
            x.summary = v.path("summary").asText("");
            x.sends = v.path("sends").asInt();
            x.quiet = v.path("quiet").asBoolean(false);
            state.put(e.getKey(), x);
        });
        n.path("sentTimes").forEach(t -> sentTimes.add(Instant.parse(t.asText())));
    }

    private static Instant time(JsonNode v, String f) {
        return v.hasNonNull(f) ? Instant.parse(v.get(f).asText()) : null;
    }

    private void save() throws IOException {
        ObjectNode n = Json.object();
        ObjectNode a = n.putObject("alerts");
        state.forEach((k, x) -> {
            ObjectNode e = a.putObject(k);
            e.put("status", x.status).put("summary", x.summary).put("sends", x.sends).put("quiet", x.quiet);
            e.put("startsAt", str(x.startsAt)).put("lastSentAt", str(x.lastSentAt)).put("lastFiredAt", str(x.lastFiredAt))
                    .put("resolvedAt", str(x.resolvedAt));
        });
        ArrayNode t = n.putArray("sentTimes");
        sentTimes.forEach(i -> t.add(i.toString()));
        AtomicFiles.write(stateFile, Json.pretty(n));
    }

    private static String str(Instant i) {
        return i == null ? null : i.toString();
    }

    /** The alerts firing now (conditions only), for metrics and status. */
    public List<String> firing() {
        List<String> out = new ArrayList<>();
        state.forEach((k, x) -> {
            if ("firing".equals(x.status)) {
                out.add(k);
            }
        });
        return out;
    }

    public Outcome process(Collection<Alert> active, Instant now) throws IOException {
        Map<String, Alert> byKey = new LinkedHashMap<>();
        for (Alert a : active) {
            byKey.put(a.key(), a);
        }
        List<Notification> due = new ArrayList<>();
        List<Runnable> commits = new ArrayList<>();
        for (Alert a : byKey.values()) {
            Entry x = state.get(a.key());
            if (a.name().event()) {
                if (x == null) {
                    due.add(new Notification(a, Notification.Status.FIRING, now, now.plus(Duration.ofHours(1)), false));
                    commits.add(() -> state.put(a.key(), entry("sent", now, now, a.summary())));
                }
                continue;
            }
            if (x == null || "resolved".equals(x.status)) {
                if (x != null && x.resolvedAt != null && !"critical".equals(a.severity())
                        && Duration.between(x.resolvedAt, now).compareTo(settings.minRefireInterval()) < 0) {
                    // flapping: a warning firing again soon after resolving; record it, page only if it stays (a
                    // critical alert, a second failover or signer, pages every time)
                    x.status = "firing";
                    x.quiet = true;
                    x.startsAt = now;
                    x.lastFiredAt = now;
                    x.summary = a.summary();
                    continue;
                }
                due.add(new Notification(a, Notification.Status.FIRING, now, null, false));
                commits.add(() -> state.put(a.key(), entry("firing", now, now, a.summary())));
            } else if (x.quiet) {
                if (Duration.between(x.lastFiredAt, now).compareTo(settings.minRefireInterval()) >= 0) {
                    due.add(new Notification(a, Notification.Status.FIRING, x.startsAt, null, false));
                    commits.add(() -> {
                        x.quiet = false;
                        x.lastSentAt = now;
                        x.sends++;
                    });
                }
            } else if (Duration.between(x.lastSentAt, now).compareTo(settings.repeatInterval()) >= 0) {
                due.add(new Notification(a, Notification.Status.FIRING, x.startsAt, null, true));
                commits.add(() -> {
                    x.lastSentAt = now;
                    x.sends++;
                });
            }
        }
        for (Map.Entry<String, Entry> e : state.entrySet()) {
            Entry x = e.getValue();
            if ("firing".equals(x.status) && !byKey.containsKey(e.getKey()) && x.quiet) {
                // never paged, so nothing to resolve
                x.status = "resolved";
                x.quiet = false;
                x.resolvedAt = now;
            } else if ("firing".equals(x.status) && !byKey.containsKey(e.getKey())) {
                String[] k = e.getKey().split("\\|", 3);
                Alert a = Alert.of(AlertName.valueOf(k[0]), k[1], k[2], x.summary);
                due.add(new Notification(a, Notification.Status.RESOLVED, x.startsAt, now, false));
                commits.add(() -> {
                    x.status = "resolved";
                    x.resolvedAt = now;
                    x.lastSentAt = now;
                });
            }
        }
        // rate limit: critical first, then by the order the checks produced them
        while (!sentTimes.isEmpty() && Duration.between(sentTimes.peekFirst(), now).toSeconds() >= 60) {
            sentTimes.pollFirst();
        }
        int room = Math.max(0, settings.maxPerMinute() - sentTimes.size());
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < due.size(); i++) {
            order.add(i);
        }
        order.sort((i, j) -> Boolean.compare(!due.get(i).alert().severity().equals("critical"), !due.get(j).alert().severity().equals("critical")));
        List<Notification> send = new ArrayList<>();
        List<Runnable> sentCommits = new ArrayList<>();
        for (int idx : order) {
            if (send.size() < room) {
                send.add(due.get(idx));
                sentCommits.add(commits.get(idx));
            }
        }
        int held = due.size() - send.size();
        if (held > 0) {
            LOG.warn("rate limit: {} notification(s) held back this check (max {} per minute)", held, settings.maxPerMinute());
        }
        List<String> failures = new ArrayList<>();
        boolean delivered = send.isEmpty();
        for (Channel c : channels) {
            if (send.isEmpty()) {
                break;
            }
            try {
                c.send(send);
                delivered = true;
            } catch (IOException | RuntimeException e) {
                String msg = secrets.redact(c.name() + ": " + e.getMessage());
                failures.add(msg);
                LOG.error("alert channel failed: {}", msg);
            }
        }
        if (channels.isEmpty() && !send.isEmpty()) {
            send.forEach(n -> LOG.warn("alert (no channel configured): {}", n.text().replace('\n', ' ')));
            delivered = true;
        }
        if (delivered) {
            sentCommits.forEach(Runnable::run);
            for (int i = 0; i < send.size(); i++) {
                sentTimes.addLast(now);
            }
            send.forEach(n -> LOG.info("alert {} {} ({}) sent", n.status().name().toLowerCase(), n.alert().name(), n.alert().subject()));
        }
        for (Iterator<Map.Entry<String, Entry>> it = state.entrySet().iterator(); it.hasNext(); ) {
            Entry x = it.next().getValue();
            Instant last = x.lastSentAt == null ? x.startsAt : x.lastSentAt;
            if (!"firing".equals(x.status) && last != null && Duration.between(last, now).compareTo(FORGET_AFTER) > 0) {
                it.remove();
            }
        }
        save();
        return new Outcome(delivered ? send : List.of(), held, failures);
    }

    private static Entry entry(String status, Instant started, Instant sent, String summary) {
        Entry x = new Entry();
        x.status = status;
        x.startsAt = started;
        x.lastSentAt = sent;
        x.lastFiredAt = started;
        x.summary = summary;
        x.sends = 1;
        return x;
    }
}
