package dev.understudy.alert;

import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.understudy.common.Json;
import dev.understudy.common.Command;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;

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
            Alert a = n.alert();
            Map<String, String> env = Map.of("ALERT_NAME", a.name().name(), "ALERT_STATUS", n.status().name().toLowerCase(),
                    "ALERT_SEVERITY", a.severity(), "ALERT_VALIDATOR", a.validator(), "ALERT_SUBJECT", a.subject(),
                    "ALERT_SUMMARY", a.summary());
            ArrayNode alerts = (ArrayNode) WebhookChannel.payload(List.of(n), "exec").get("alerts");
            Command.Result r;
            try {
                r = Command.run(command, env, Duration.ofMillis(timeoutMs), Json.bytes(alerts.get(0)));
            } catch (Command.Failure e) {
                throw new IOException(name() + ": " + e.getMessage(), e);
            }
            if (r.exit() != 0) {
                String out = (r.stderrTail() + " " + r.stdout()).trim();
                throw new IOException(name() + " exited " + r.exit() + (out.isEmpty() ? "" : ": " + out.substring(0, Math.min(200, out.length()))));
            }
        }
    }
}
