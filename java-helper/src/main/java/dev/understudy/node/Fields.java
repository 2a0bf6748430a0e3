package dev.understudy.node;

import com.fasterxml.jackson.databind.JsonNode;

/** Strict reads of a node's JSON answers: a missing or mistyped field is an error naming it and its source. */
public final class Fields {
    private Fields() {
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
