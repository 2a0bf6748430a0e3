package dev.understudy.alert;

import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.understudy.common.Json;
import java.io.IOException;
import java.io.OutputStream;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs a command per notification: the notification as JSON on stdin (the webhook's alert object) and
 * ALERT_NAME, ALERT_STATUS, ALERT_SEVERITY, ALERT_VALIDATOR, ALERT_SUBJECT, ALERT_SUMMARY in the environment.
 * A non-zero exit or a timeout is a failed send.
 */
public final class ExecChannel implements Channel {
    private final List<String> command;
    private final long timeoutMs;

    public ExecChannel(List<String> command, long timeoutMs) {
        this.command = List.copyOf(command);
        this.timeoutMs = timeoutMs;
    }

    @Override
    public String name() {
        return "exec " + command.get(0);
    }

    @Override
    public void send(List<Notification> ns) throws IOException {
        for (Notification n : ns) {
            ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
            Map<String, String> env = pb.environment();
            Alert a = n.alert();
            env.put("ALERT_NAME", a.name().name());
            env.put("ALERT_STATUS", n.status().name().toLowerCase());
            env.put("ALERT_SEVERITY", a.severity());
            env.put("ALERT_VALIDATOR", a.validator());
            env.put("ALERT_SUBJECT", a.subject());
            env.put("ALERT_SUMMARY", a.summary());
            Process p = pb.start();
            ArrayNode alerts = (ArrayNode) WebhookChannel.payload(List.of(n), "exec").get("alerts");
            try (OutputStream in = p.getOutputStream()) {
                in.write(Json.bytes(alerts.get(0)));
            }
            try {
                if (!p.waitFor(timeoutMs, TimeUnit.MILLISECONDS)) {
                    p.destroyForcibly();
                    throw new IOException(name() + " did not finish in " + timeoutMs + " ms");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                p.destroyForcibly();
                throw new IOException(name() + ": interrupted", e);
            }
            if (p.exitValue() != 0) {
                String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).trim();
                throw new IOException(name() + " exited " + p.exitValue() + (out.isEmpty() ? "" : ": "
                        + out.substring(0, Math.min(200, out.length()))));
            }
        }
    }
}
