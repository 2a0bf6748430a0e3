package dev.understudy.alert;

import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * One alert condition (or event) as a check sees it now. {@code subject} tells instances apart (the host for
 * BACKUP_UNHEALTHY, the epoch for FAILOVER_COMPLETED); {@code details} go into the message and the labels.
 */
public record Alert(AlertName name, String severity, String validator, String subject, String summary, Map<String, String> details) {
    public Alert {
        Objects.requireNonNull(name, "alert name required");
        Objects.requireNonNull(validator, "validator required");
        subject = subject == null ? "" : subject;
        severity = severity == null ? name.severity() : severity;
        details = details == null ? Map.of() : Map.copyOf(new TreeMap<>(details));
    }

    public static Alert of(AlertName name, String validator, String subject, String summary) {
        return new Alert(name, null, validator, subject, summary, Map.of());
    }

    public Alert with(String key, Object value) {
        Map<String, String> d = new TreeMap<>(details);
        d.put(key, String.valueOf(value));
        return new Alert(name, severity, validator, subject, summary, d);
    }

    public Alert severity(String s) {
        return new Alert(name, s, validator, subject, summary, details);
    }

    /** Identity for deduplication: the same name, validator and subject are the same alert. */
    public String key() {
        return name + "|" + validator + "|" + subject;
    }
}
