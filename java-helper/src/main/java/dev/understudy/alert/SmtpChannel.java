package dev.understudy.alert;

import java.io.IOException;
import java.util.List;

/** Mail: one message per check, carrying every notification. */
public final class SmtpChannel implements Channel {
    private final SmtpClient client;
    private final String from;
    private final List<String> to;
    private final String host;

    public SmtpChannel(SmtpClient client, String host, String from, List<String> to) {
        this.client = client;
        this.host = host;
        this.from = from;
        this.to = List.copyOf(to);
    }

    @Override
    public String name() {
        return "smtp " + host;
    }

    static String subject(List<Notification> ns) {
        Notification first = ns.stream().filter(n -> n.status() == Notification.Status.FIRING).findFirst().orElse(ns.get(0));
        String state = first.status() == Notification.Status.RESOLVED ? "RESOLVED" : first.alert().severity().toUpperCase();
        return "[understudy] " + state + " " + first.alert().name() + " " + first.alert().validator()
                + (ns.size() > 1 ? " (+" + (ns.size() - 1) + " more)" : "");
    }

    @Override
    public void send(List<Notification> ns) throws IOException {
        StringBuilder body = new StringBuilder();
        for (Notification n : ns) {
            body.append(n.text()).append("\n\n");
        }
        client.send(from, to, subject(ns), body.toString());
    }
}
