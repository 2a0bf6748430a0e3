package dev.understudy.alert;

import java.time.Duration;
import java.time.Instant;

/** What a channel sends: an alert that fires (first time, or repeated) or resolves, with its times. */
public record Notification(Alert alert, Status status, Instant startsAt, Instant endsAt, boolean repeat) {
    /** Alertmanager's two states. */
    public enum Status { FIRING, RESOLVED }

    public String text() {
        StringBuilder b = new StringBuilder();
        b.append(status == Status.RESOLVED ? "RESOLVED " : (alert.severity().equals("critical") ? "CRITICAL " : "WARNING "))
                .append(alert.name()).append(" (").append(alert.validator())
                .append(alert.subject().isEmpty() ? "" : ", " + alert.subject()).append(")\n")
                .append(alert.summary());
        alert.details().forEach((k, v) -> b.append("\n").append(k).append(": ").append(v));
        if (status == Status.FIRING) {
            b.append("\nWhat to do: ").append(alert.name().action());
        } else if (startsAt != null && endsAt != null) {
            // for BACKUP_UNHEALTHY this is how long the standby took to be ready again
            b.append("\nResolved after ").append(Duration.between(startsAt, endsAt).toSeconds()).append(" s (since ")
                    .append(startsAt).append(")");
        }
        return b.toString();
    }
}
