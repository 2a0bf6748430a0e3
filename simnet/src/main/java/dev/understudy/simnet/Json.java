package dev.understudy.simnet;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** The one JSON mapper, and strict field readers whose errors name the field and the source. */
public final class Json {
    public static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private Json() {
    }

    public static ObjectNode object() {
        return MAPPER.createObjectNode();
    }

    public static JsonNode parse(byte[] bytes, String source) throws BadInputException {
        try {
            JsonNode node = MAPPER.readTree(bytes);
            if (node == null || node.isMissingNode()) {
                throw new BadInputException(source + ": empty, expected a JSON object");
            }
            return node;
        } catch (JsonProcessingException e) {
            throw new BadInputException(source + ": malformed JSON: " + e.getOriginalMessage()
                    + " at line " + e.getLocation().getLineNr() + " column " + e.getLocation().getColumnNr(), e);
        } catch (java.io.IOException e) {
            throw new BadInputException(source + ": cannot read JSON: " + e.getMessage(), e);
        }
    }

    public static ObjectNode parseObject(byte[] bytes, String source) throws BadInputException {
        JsonNode node = parse(bytes, source);
        if (!node.isObject()) {
            throw new BadInputException(source + ": expected a JSON object, got " + node.getNodeType());
        }
        return (ObjectNode) node;
    }

    public static byte[] bytes(JsonNode node) {
        try {
            return MAPPER.writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise JSON", e);
        }
    }

    public static byte[] pretty(JsonNode node) {
        try {
            return MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise JSON", e);
        }
    }

    public static String text(JsonNode node, String field, String source) throws BadInputException {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            throw new BadInputException(source + ": field '" + field + "' is required (string)");
        }
        if (!v.isTextual() || v.asText().isEmpty()) {
            throw new BadInputException(source + ": field '" + field + "' must be a non-empty string, got " + v);
        }
        return v.asText();
    }

    public static long integer(JsonNode node, String field, String source) throws BadInputException {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            throw new BadInputException(source + ": field '" + field + "' is required (integer)");
        }
        if (!v.isIntegralNumber() || !v.canConvertToLong()) {
            throw new BadInputException(source + ": field '" + field + "' must be an integer, got " + v);
        }
        return v.asLong();
    }

    public static boolean bool(JsonNode node, String field, String source) throws BadInputException {
        JsonNode v = node.get(field);
        if (v == null || !v.isBoolean()) {
            throw new BadInputException(source + ": field '" + field + "' is required (true or false), got " + v);
        }
        return v.asBoolean();
    }
}
