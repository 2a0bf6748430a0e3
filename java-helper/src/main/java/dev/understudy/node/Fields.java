package dev.understudy.node;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.understudy.cli.BadInputException;
import dev.understudy.common.Json;
import java.nio.charset.StandardCharsets;

/** Strict reads of a node's JSON answers: a missing or mistyped field is an error naming it and its source. */
public final class Fields {
    private Fields() {
    }

    /** A node's answer or file that must be one JSON object ({@link Json#parseObject}'s errors, as bad output). */
    public static ObjectNode object(byte[] json, String src) throws NodeException {
        try {
            return Json.parseObject(json, src);
        } catch (BadInputException e) {
            throw NodeException.badOutput(e.getMessage());
        }
    }

    public static ObjectNode object(String json, String src) throws NodeException {
        return object(json.getBytes(StandardCharsets.UTF_8), src);
    }

    public static long integer(JsonNode n, String field, String src) throws NodeException {
        JsonNode v = n.get(field);
        if (v == null || !v.isIntegralNumber()) {
            throw NodeException.badOutput(src + ": field '" + field + "' missing or not an integer");
        }
        return v.asLong();
    }

    public static boolean bool(JsonNode n, String field, String src) throws NodeException {
        JsonNode v = n.get(field);
        if (v == null || !v.isBoolean()) {
            throw NodeException.badOutput(src + ": field '" + field + "' missing or not true/false");
        }
        return v.asBoolean();
    }

    public static String text(JsonNode n, String field, String src) throws NodeException {
        JsonNode v = n.get(field);
        if (v == null || !v.isTextual()) {
            throw NodeException.badOutput(src + ": field '" + field + "' missing or not a string");
        }
        return v.asText();
    }
}
