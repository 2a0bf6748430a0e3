package dev.understudy.transfer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.understudy.cli.BadInputException;
import dev.understudy.common.Json;
import dev.understudy.identity.SigningKey;
import dev.understudy.identity.VerifyKey;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * A receiver's acknowledgement to one source, signed with the receiver's key: the highest sequence it accepted
 * from that source and the bundles of that source it refused lately, with the reason. The receiver writes it
 * to {@code DROP_ROOT/acks/SOURCE.json} (readable by the drop account, writable only by the service user); the
 * source's push reads it over SFTP and sends again until its bundle is accepted. "Delivered" alone means only
 * uploaded.
 */
public record Ack(String validator, String host, String source, long lastAccepted, List<Refused> refused, String at) {
    static final String FORMAT = "understudy-ack";
    static final int VERSION = 1;
    static final String SIGNED_PREFIX = "understudy-ack-v1\n";
    /** An acknowledgement is a few hundred bytes; this bounds what push reads from a drop account. */
    static final int MAX_BYTES = 16 * 1024;
    /** How many recent refusals an acknowledgement lists. */
    static final int MAX_REFUSED = 20;

    /** A refused bundle by name, with its reason (a {@code Rejection.Reason} name). */
    public record Refused(String bundle, String reason) {
    }

    public byte[] sign(SigningKey key) {
        ObjectNode n = Json.object();
        n.put("format", FORMAT).put("version", VERSION).put("validator", validator).put("host", host).put("source", source)
                .put("lastAccepted", lastAccepted).put("at", at);
        ArrayNode rs = n.putArray("refused");
        refused.forEach(r -> rs.addObject().put("bundle", r.bundle()).put("reason", r.reason()));
        String text = new String(Json.bytes(n), StandardCharsets.UTF_8);
        ObjectNode f = Json.object();
        f.put("ack", text);
        f.put("signature", Base64.getEncoder().encodeToString(key.sign(signed(text))));
        return Json.pretty(f);
    }

    /**
     * Reads an acknowledgement and checks that one of the receiver's keys signed it and that it is the one this
     * source expects (validator, receiver, source): a copy from another pair, or one the drop account wrote, is
     * refused.
     */
    public static Ack verify(byte[] file, List<VerifyKey> keys, String validator, String host, String source, String src)
            throws BadInputException {
        ObjectNode f = Json.parseUntrustedObject(file, src);
        JsonNode text = f.get("ack");
        JsonNode sig = f.get("signature");
        if (text == null || !text.isTextual() || sig == null || !sig.isTextual()) {
            throw new BadInputException(src + ": expected fields 'ack' and 'signature' (strings)");
        }
        byte[] signature;
        try {
            signature = Base64.getDecoder().decode(sig.asText());
        } catch (IllegalArgumentException e) {
            throw new BadInputException(src + ": field 'signature' is not base64");
        }
        boolean ok = false;
        for (VerifyKey k : keys) {
            ok |= k.verify(signed(text.asText()), signature);
        }
        if (!ok) {
            throw new BadInputException(src + ": signature does not verify against " + host + "'s key(s)");
        }
        ObjectNode n = Json.parseUntrustedObject(text.asText().getBytes(StandardCharsets.UTF_8), src + " ack");
        if (!FORMAT.equals(n.path("format").asText()) || n.path("version").asInt() != VERSION) {
            throw new BadInputException(src + ": not an " + FORMAT + " version " + VERSION);
        }
        if (!validator.equals(n.path("validator").asText()) || !host.equals(n.path("host").asText())
                || !source.equals(n.path("source").asText())) {
            throw new BadInputException(src + ": signed for another validator, receiver or source");
        }
        List<Refused> refused = new ArrayList<>();
        for (JsonNode r : n.path("refused")) {
            refused.add(new Refused(r.path("bundle").asText(), r.path("reason").asText()));
        }
        return new Ack(validator, host, source, n.path("lastAccepted").asLong(), refused, n.path("at").asText());
    }

    /** The reason the receiver refused this bundle, or null when it did not (yet). */
    public String refusal(String bundle) {
        return refused.stream().filter(r -> r.bundle().equals(bundle)).map(Refused::reason).findFirst().orElse(null);
    }

    private static byte[] signed(String text) {
        return (SIGNED_PREFIX + text).getBytes(StandardCharsets.UTF_8);
    }
}
