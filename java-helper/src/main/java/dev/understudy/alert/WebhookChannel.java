package dev.understudy.alert;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.understudy.common.Json;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;

/**
 * An Alertmanager-compatible webhook: the version 4 payload Alertmanager sends its webhook receivers, so
 * anything that reads those (or Alertmanager's own /api/v2/alerts through an adapter) reads these.
 */
public final class WebhookChannel implements Channel {
    static final String ZERO_TIME = "0001-01-01T00:00:00Z";
    private final URI url;
    private final String bearer;
    private final HttpClient http;
    private final Duration timeout;
    private final String source;

    public WebhookChannel(URI url, String bearer, Duration timeout, String source) {
        this.url = url;
        this.bearer = bearer;
        this.timeout = timeout;
        this.source = source;
        this.http = HttpClient.newBuilder().connectTimeout(timeout).build();
    }

    @Override
    public String name() {
        return "webhook " + url.getHost() + ":" + url.getPort();
    }

    public static ObjectNode payload(List<Notification> ns, String source) {
        ObjectNode p = Json.object();
        boolean anyFiring = ns.stream().anyMatch(n -> n.status() == Notification.Status.FIRING);
        String validator = ns.isEmpty() ? "" : ns.get(0).alert().validator();
        p.put("version", "4");
        p.put("groupKey", "{}:{validator=\"" + validator + "\"}");
        p.put("truncatedAlerts", 0);
        p.put("status", anyFiring ? "firing" : "resolved");
        p.put("receiver", "understudy");
        p.putObject("groupLabels").put("validator", validator);
        ObjectNode common = p.putObject("commonLabels");
        common.put("validator", validator);
        if (ns.stream().map(n -> n.alert().name()).distinct().count() == 1 && !ns.isEmpty()) {
            common.put("alertname", ns.get(0).alert().name().name());
        }
        p.putObject("commonAnnotations");
        p.put("externalURL", source);
        ArrayNode alerts = p.putArray("alerts");
        for (Notification n : ns) {
            Alert a = n.alert();
            ObjectNode j = alerts.addObject();
            j.put("status", n.status() == Notification.Status.FIRING ? "firing" : "resolved");
            ObjectNode labels = j.putObject("labels");
            labels.put("alertname", a.name().name()).put("severity", a.severity()).put("validator", a.validator());
            if (!a.subject().isEmpty()) {
                labels.put("subject", a.subject());
            }
            ObjectNode ann = j.putObject("annotations");
            ann.put("summary", a.summary());
            ann.put("description", a.name().meaning());
            ann.put("runbook", a.name().action());
            a.details().forEach(ann::put);
            j.put("startsAt", n.startsAt().toString());
            j.put("endsAt", n.endsAt() == null ? ZERO_TIME : n.endsAt().toString());
            j.put("generatorURL", source);
            j.put("fingerprint", fingerprint(a.key()));
        }
        return p;
    }

    static String fingerprint(String key) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8)), 0, 8);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void send(List<Notification> ns) throws IOException {
        HttpRequest.Builder b = HttpRequest.newBuilder(url).timeout(timeout).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(Json.bytes(payload(ns, source))));
        if (bearer != null) {
            b.header("Authorization", "Bearer " + bearer);
        }
        try {
            HttpResponse<byte[]> r = dev.understudy.common.HttpCalls.send(http, b.build(), timeout, 1 << 20);
            if (r.statusCode() / 100 != 2) {
                throw new IOException(name() + " answered HTTP " + r.statusCode());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(name() + ": interrupted", e);
        }
    }

    static String now() {
        return Instant.now().toString();
    }
}
