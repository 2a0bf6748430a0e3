package dev.understudy.testing;

import dev.understudy.alert.AlertName;
import dev.understudy.alert.AlertSettings;
import dev.understudy.alert.Channel;
import dev.understudy.alert.Dispatcher;
import dev.understudy.alert.Notification;
import dev.understudy.alert.Secrets;
import dev.understudy.cli.BadInputException;
import dev.understudy.config.Config;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** The alerts a watchdog or an agent sent, through the real dispatcher to a channel that records them. */
public final class RecordingAlerts {
    private final List<Notification> received = new ArrayList<>();

    /** A dispatcher of {@code c}'s host keeping its state in {@code stateName} under the state directory, sending here. */
    public Dispatcher dispatcher(Config c, String stateName) throws IOException, BadInputException {
        Channel recording = new Channel() {
            @Override
            public String name() {
                return "recording";
            }

            @Override
            public void send(List<Notification> ns) {
                synchronized (received) {
                    received.addAll(ns);
                }
            }
        };
        return new Dispatcher(c.stateDir().resolve(stateName), List.of(recording),
                new AlertSettings(null, Duration.ofHours(1), Duration.ofSeconds(0), 50, null, null, null, null), Secrets.none());
    }

    public List<Notification> all() {
        synchronized (received) {
            return List.copyOf(received);
        }
    }

    /** "firing NAME" or "resolved NAME", in the order sent. */
    public List<String> names() {
        return all().stream().map(n -> n.status().name().toLowerCase() + " " + n.alert().name()).toList();
    }

    /** The first notification of {@code name}. */
    public Notification first(AlertName name) {
        return all().stream().filter(n -> n.alert().name() == name).findFirst().orElseThrow();
    }
}
