package dev.understudy.alert;

import dev.understudy.cli.BadInputException;
import dev.understudy.config.Section;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLSocketFactory;

/** The {@code alerts:} section: channels, secrets, deduplication and rate limits. */
public record AlertSettings(Path secretsFile, Duration repeatInterval, Duration minRefireInterval, int maxPerMinute,
        Section webhook, Section telegram, Section smtp, Section exec) {

    public static AlertSettings parse(Section s) throws BadInputException {
        AlertSettings a = new AlertSettings(
                s.path("secrets_file", Path.of("/etc/understudy/alerts.env")),
                Duration.ofSeconds(s.integer("repeat_interval_s", 3600, 60, 7 * 86_400)),
                Duration.ofSeconds(s.integer("min_refire_interval_s", 300, 0, 86_400)),
                (int) s.integer("max_per_minute", 20, 1, 10_000),
                s.has("webhook") ? s.section("webhook") : null,
                s.has("telegram") ? s.section("telegram") : null,
                s.has("smtp") ? s.section("smtp") : null,
                s.has("exec") ? s.section("exec") : null);
        s.done();
        return a;
    }

    /** Builds the configured channels, reading their secrets; every key of each channel is checked. */
    public List<Channel> channels(String source) throws BadInputException, IOException {
        Secrets secrets = Secrets.load(secretsFile);
        List<Channel> out = new ArrayList<>();
        if (webhook != null) {
            URI url = url(webhook, "url");
            String token = secrets.get(webhook.string("bearer_token_secret", null), webhook.where("bearer_token_secret"));
            out.add(new WebhookChannel(url, token, timeout(webhook), source));
            webhook.done();
        }
        if (telegram != null) {
            String base = telegram.string("base_url", "https://api.telegram.org");
            String token = secrets.get(telegram.string("token_secret"), telegram.where("token_secret"));
            out.add(new TelegramChannel(base, token, telegram.string("chat_id"), timeout(telegram)));
            telegram.done();
        }
        if (smtp != null) {
            String host = smtp.string("host");
            SmtpClient.Tls tls = SmtpClient.Tls.valueOf(smtp.choice("tls", "starttls", "starttls", "implicit", "none").toUpperCase());
            String user = smtp.has("username_secret") ? secrets.get(smtp.string("username_secret"), smtp.where("username_secret")) : null;
            String pw = user == null ? null : secrets.get(smtp.string("password_secret"), smtp.where("password_secret"));
            if (user != null && tls == SmtpClient.Tls.NONE) {
                throw smtp.error("tls", "a password is only sent over TLS: use starttls or implicit");
            }
            int port = (int) smtp.integer("port", tls == SmtpClient.Tls.IMPLICIT ? 465 : 587, 1, 65535);
            List<String> to = smtp.strings("to");
            if (to.isEmpty()) {
                throw smtp.error("to", "is required (at least one address)");
            }
            SmtpClient client = new SmtpClient(host, port, tls, user, pw, timeout(smtp), (SSLSocketFactory) SSLSocketFactory.getDefault());
            out.add(new SmtpChannel(client, host, smtp.string("from"), to));
            smtp.done();
        }
        if (exec != null) {
            List<String> cmd = exec.strings("command");
            if (cmd.isEmpty()) {
                throw exec.error("command", "is required (argv list)");
            }
            out.add(new ExecChannel(cmd, exec.integer("timeout_ms", 10_000, 100, 600_000)));
            exec.done();
        }
        return out;
    }

    private static URI url(Section s, String key) throws BadInputException {
        String u = s.string(key);
        try {
            URI uri = URI.create(u);
            if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) {
                throw new IllegalArgumentException();
            }
            return uri;
        } catch (IllegalArgumentException e) {
            throw s.error(key, "expected an http(s) URL, got '" + u + "'");
        }
    }

    private static Duration timeout(Section s) throws BadInputException {
        return Duration.ofMillis(s.integer("timeout_ms", 5000, 100, 120_000));
    }

    public Secrets secrets() throws BadInputException, IOException {
        return Secrets.load(secretsFile);
    }
}
