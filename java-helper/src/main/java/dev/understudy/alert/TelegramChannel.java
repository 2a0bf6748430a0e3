package dev.understudy.alert;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.understudy.common.Json;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

/** The Telegram Bot API's sendMessage, one message per notification; the base URL is configurable. */
public final class TelegramChannel implements Channel {
    static final int MAX_TEXT = 4000;
    private final String baseUrl;
    private final String token;
    private final String chatId;
    private final HttpClient http;
    private final Duration timeout;

    public TelegramChannel(String baseUrl, String token, String chatId, Duration timeout) {
        this.baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
        this.token = token;
        this.chatId = chatId;
        this.timeout = timeout;
        this.http = HttpClient.newBuilder().connectTimeout(timeout).build();
    }

    @Override
    public String name() {
        return "telegram " + URI.create(baseUrl).getHost() + " chat " + chatId;
    }

    static ObjectNode message(Notification n, String chatId) {
        String text = n.text();
        if (text.length() > MAX_TEXT) {
            text = text.substring(0, MAX_TEXT) + "…";
        }
        return Json.object().put("chat_id", chatId).put("text", text).put("disable_web_page_preview", true);
    }

    @Override
    public void send(List<Notification> ns) throws IOException {
        for (Notification n : ns) {
            HttpRequest req = HttpRequest.newBuilder(URI.create(baseUrl + "/bot" + token + "/sendMessage")).timeout(timeout)
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(Json.bytes(message(n, chatId)))).build();
            try {
                HttpResponse<byte[]> r = dev.understudy.common.HttpCalls.send(http, req, timeout, 1 << 20);
                JsonNode body = Json.MAPPER.readTree(r.body());
                if (r.statusCode() / 100 != 2 || body == null || !body.path("ok").asBoolean(false)) {
                    // the token is part of the URL: report the API's description, never the URL
                    throw new IOException(name() + " refused the message: HTTP " + r.statusCode() + " "
                            + (body == null ? "" : body.path("description").asText("")));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException(name() + ": interrupted", e);
            } catch (IOException e) {
                throw new IOException(name() + ": " + (e.getMessage() == null ? e.getClass().getSimpleName()
                        : e.getMessage().replace(token, "***")), e);
            }
        }
    }
}
