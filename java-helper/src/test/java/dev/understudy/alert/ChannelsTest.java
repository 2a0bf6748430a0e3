package dev.understudy.alert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import dev.understudy.common.Json;
import dev.understudy.testing.SmtpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each channel against a real protocol peer on loopback, and each payload against a captured example. */
class ChannelsTest {
    @TempDir
    Path dir;
    HttpServer http;
    final List<String> bodies = new ArrayList<>();
    final List<String> paths = new ArrayList<>();
    volatile int status = 200;
    volatile String answer = "{}";

    static final Notification FAILOVER = new Notification(Alert.of(AlertName.FAILOVER_COMPLETED, "val1", "epoch 77",
            "lab-backup took the signing role from lab-main (epoch 77)").with("rounds lost", 4).with("detection", "4 rounds (4.0 s)"),
            Notification.Status.FIRING, Instant.parse("2026-11-21T12:00:00Z"), null, false);
    static final Notification RESOLVED = new Notification(Alert.of(AlertName.NO_SIGNER, "val1", "", "nothing signs"),
            Notification.Status.RESOLVED, Instant.parse("2026-11-21T12:00:00Z"), Instant.parse("2026-11-21T12:01:00Z"), false);

    @BeforeEach
    void start() throws IOException {
        http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 10);
        http.createContext("/", ex -> {
            try (InputStream in = ex.getRequestBody()) {
                bodies.add(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            }
            paths.add(ex.getRequestURI().getPath() + " " + ex.getRequestHeaders().getFirst("Authorization"));
            byte[] b = answer.getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(status, b.length);
            ex.getResponseBody().write(b);
            ex.close();
        });
        http.start();
    }

    @AfterEach
    void stop() {
        http.stop(0);
    }

    String base() {
        return "http://127.0.0.1:" + http.getAddress().getPort();
    }

    /** Same field names with the same JSON types, recursively through objects (arrays: their first element). */
    static void sameShape(JsonNode expected, JsonNode actual, String path) {
        assertEquals(expected.getNodeType(), actual.getNodeType(), "type of " + path);
        if (expected.isObject() && !path.endsWith("labels") && !path.endsWith("annotations") && !path.endsWith("Labels")
                && !path.endsWith("Annotations")) {
            for (Iterator<String> it = expected.fieldNames(); it.hasNext(); ) {
                String f = it.next();
                assertTrue(actual.has(f), path + "." + f + " missing in " + actual);
                sameShape(expected.get(f), actual.get(f), path + "." + f);
            }
        }
        if (expected.isArray() && expected.size() > 0) {
            assertTrue(actual.size() > 0, path + " is empty");
            sameShape(expected.get(0), actual.get(0), path + "[0]");
        }
    }

    @Test
    void theWebhookSendsAlertmanagersVersion4Payload() throws Exception {
        new WebhookChannel(URI.create(base() + "/hook"), "secret-token", Duration.ofSeconds(2), "understudy://lab-monitor")
                .send(List.of(FAILOVER, RESOLVED));
        JsonNode got = Json.parseObject(bodies.get(0).getBytes(StandardCharsets.UTF_8), "webhook body");
        JsonNode captured = Json.parseObject(getClass().getResourceAsStream("/alertmanager-webhook-v4.json").readAllBytes(), "captured");
        sameShape(captured, got, "payload");
        assertEquals("4", got.get("version").asText());
        assertEquals("firing", got.get("status").asText());
        JsonNode a = got.get("alerts").get(0);
        assertEquals("FAILOVER_COMPLETED", a.get("labels").get("alertname").asText());
        assertEquals("critical", a.get("labels").get("severity").asText());
        assertEquals("4", a.get("annotations").get("rounds lost").asText());
        assertEquals(WebhookChannel.ZERO_TIME, a.get("endsAt").asText());
        JsonNode r = got.get("alerts").get(1);
        assertEquals("resolved", r.get("status").asText());
        assertEquals("2026-11-21T12:01:00Z", r.get("endsAt").asText());
        assertEquals("/hook Bearer secret-token", paths.get(0));
        status = 500;
        assertThrows(IOException.class, () -> new WebhookChannel(URI.create(base() + "/hook"), null, Duration.ofSeconds(2), "x")
                .send(List.of(FAILOVER)));
    }

    @Test
    void telegramCallsSendMessageAndNeverShowsItsToken() throws Exception {
        answer = new String(getClass().getResourceAsStream("/telegram-sendmessage-response.json").readAllBytes(), StandardCharsets.UTF_8);
        TelegramChannel t = new TelegramChannel(base(), "123456:ABC-token", "-1001234567890", Duration.ofSeconds(2));
        t.send(List.of(FAILOVER));
        assertEquals("/bot123456:ABC-token/sendMessage null", paths.get(0));
        JsonNode req = Json.parseObject(bodies.get(0).getBytes(StandardCharsets.UTF_8), "telegram body");
        assertEquals("-1001234567890", req.get("chat_id").asText());
        assertTrue(req.get("text").asText().startsWith("CRITICAL FAILOVER_COMPLETED (val1, epoch 77)"), req.toString());
        assertTrue(req.get("text").asText().contains("rounds lost: 4"));
        status = 400;
        answer = "{\"ok\":false,\"error_code\":400,\"description\":\"Bad Request: chat not found\"}";
        IOException e = assertThrows(IOException.class, () -> t.send(List.of(FAILOVER)));
        assertTrue(e.getMessage().contains("chat not found"), e.getMessage());
        assertFalse(e.getMessage().contains("ABC-token"), e.getMessage());
    }

    @Test
    void mailGoesOverStartTlsWithAuthAndA64EncodedBody() throws Exception {
        SSLContext server = serverTls();
        try (SmtpServer smtp = new SmtpServer(server, "alerts@example.org", "mail-password")) {
            SmtpClient c = new SmtpClient("localhost", smtp.port(), SmtpClient.Tls.STARTTLS, "alerts@example.org", "mail-password",
                    Duration.ofSeconds(3), clientTls().getSocketFactory());
            new SmtpChannel(c, "localhost", "understudy@example.org", List.of("ops@example.org", "oncall@example.org"))
                    .send(List.of(FAILOVER, RESOLVED));
            assertEquals(1, smtp.mails.size());
            SmtpServer.Mail m = smtp.mails.get(0);
            assertTrue(m.overTls());
            assertEquals("alerts@example.org", m.authenticatedAs());
            assertEquals(List.of("ops@example.org", "oncall@example.org"), m.to());
            assertTrue(m.data().contains("Subject: [understudy] CRITICAL FAILOVER_COMPLETED val1 (+1 more)"), m.data());
            String body = new String(Base64.getMimeDecoder().decode(m.data().substring(m.data().indexOf("\n\n") + 2)), StandardCharsets.UTF_8);
            assertTrue(body.contains("RESOLVED NO_SIGNER") && body.contains("rounds lost: 4"), body);
            assertTrue(body.contains("Resolved after 60 s (since 2026-11-21T12:00:00Z)"), "how long it lasted: " + body);
            SmtpClient wrong = new SmtpClient("localhost", smtp.port(), SmtpClient.Tls.STARTTLS, "alerts@example.org", "nope",
                    Duration.ofSeconds(3), clientTls().getSocketFactory());
            IOException e = assertThrows(IOException.class, () -> wrong.send("a@b", List.of("c@d"), "s", "b"));
            assertTrue(e.getMessage().contains("535"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> new SmtpClient("x", 25, SmtpClient.Tls.NONE, "u", "p", Duration.ofSeconds(1), null),
                "a password never goes out in the clear");
    }

    @Test
    void theExecHookGetsTheAlertOnStdinAndInItsEnvironment() throws Exception {
        Path out = dir.resolve("hook.out");
        Path hook = dir.resolve("hook.sh");
        Files.writeString(hook, "#!/bin/sh\n{ echo \"$ALERT_NAME $ALERT_STATUS $ALERT_SEVERITY $ALERT_VALIDATOR $ALERT_SUBJECT\"; cat; } >> " + out + "\n");
        Files.setPosixFilePermissions(hook, PosixFilePermissions.fromString("rwx------"));
        new ExecChannel(List.of(hook.toString()), 5000).send(List.of(FAILOVER));
        String got = Files.readString(out);
        assertTrue(got.startsWith("FAILOVER_COMPLETED firing critical val1 epoch 77\n"), got);
        JsonNode j = Json.parseObject(got.substring(got.indexOf('\n') + 1).getBytes(StandardCharsets.UTF_8), "stdin");
        assertEquals("FAILOVER_COMPLETED", j.get("labels").get("alertname").asText());
        Path failing = dir.resolve("fail.sh");
        Files.writeString(failing, "#!/bin/sh\necho broken >&2\nexit 3\n");
        Files.setPosixFilePermissions(failing, PosixFilePermissions.fromString("rwx------"));
        IOException e = assertThrows(IOException.class, () -> new ExecChannel(List.of(failing.toString()), 5000).send(List.of(FAILOVER)));
        assertTrue(e.getMessage().contains("exited 3: broken"), e.getMessage());
    }

    @Test
    void secretsComeFromAPrivateFileAndAreRedacted() throws Exception {
        Path f = dir.resolve("alerts.env");
        Files.writeString(f, "# channel secrets\nTELEGRAM_TOKEN=\"123456:ABC-token\"\nSMTP_PASSWORD=mail-password\n");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));
        assertTrue(assertThrows(dev.understudy.cli.BadInputException.class, () -> Secrets.load(f)).getMessage().contains("readable by others"));
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
        Secrets s = Secrets.load(f);
        assertEquals("123456:ABC-token", s.get("TELEGRAM_TOKEN", "t"));
        assertEquals("failed at https://api/bot***/sendMessage", s.redact("failed at https://api/bot123456:ABC-token/sendMessage"));
        assertTrue(assertThrows(dev.understudy.cli.BadInputException.class, () -> s.get("WEBHOOK", "alerts.webhook.bearer_token_secret"))
                .getMessage().contains("alerts.webhook.bearer_token_secret: secret WEBHOOK is not set"));
    }

    /** A self-signed certificate for localhost, made with the JDK's keytool. */
    private SSLContext serverTls() throws Exception {
        Path ks = dir.resolve("smtp.p12");
        Process p = new ProcessBuilder("keytool", "-genkeypair", "-alias", "smtp", "-keyalg", "EC", "-groupname", "secp256r1",
                "-dname", "CN=localhost", "-ext", "san=dns:localhost,ip:127.0.0.1", "-validity", "2", "-keystore", ks.toString(),
                "-storetype", "PKCS12", "-storepass", "changeit").redirectErrorStream(true).start();
        assertEquals(0, p.waitFor(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        KeyStore k = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(ks)) {
            k.load(in, "changeit".toCharArray());
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(k, "changeit".toCharArray());
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), null, null);
        trust = k;
        return ctx;
    }

    private KeyStore trust;

    private SSLContext clientTls() throws Exception {
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }
}
