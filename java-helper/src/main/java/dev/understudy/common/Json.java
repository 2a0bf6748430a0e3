package dev.understudy.common;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.understudy.cli.BadInputException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/** The helper's JSON mapper and strict parsing whose errors name the source. */
public final class Json {
    public static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);

    private Json() {
    }

    public static ObjectNode object() {
        return MAPPER.createObjectNode();
    }

    public static ArrayNode array() {
        return MAPPER.createArrayNode();
    }

    public static ObjectNode parseObject(byte[] bytes, String source) throws BadInputException {
        return parse(bytes, source, true);
    }

    /**
     * Like {@link #parseObject} for bytes nobody vouches for (an upload in the drop): the error names the source,
     * the line and the column, never the text, which may be another file's content.
     */
    public static ObjectNode parseUntrustedObject(byte[] bytes, String source) throws BadInputException {
        return parse(bytes, source, false);
    }

    private static ObjectNode parse(byte[] bytes, String source, boolean quote) throws BadInputException {
        try {
            JsonNode n = MAPPER.readTree(bytes);
            if (n == null || !n.isObject()) {
                throw new BadInputException(source + ": expected a JSON object");
            }
            return (ObjectNode) n;
        } catch (JsonProcessingException e) {
            if (quote) {
                throw new BadInputException(source + ": malformed JSON: " + e.getOriginalMessage(), e);
            }
            com.fasterxml.jackson.core.JsonLocation at = e.getLocation();
            throw new BadInputException(source + ": malformed JSON"
                    + (at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr()));
        } catch (IOException e) {
            throw new BadInputException(source + ": cannot read JSON" + (quote ? ": " + e.getMessage()
                    : " (" + e.getClass().getSimpleName() + ")"), e);
        }
    }

    /**
     * A state file the program keeps for itself: null when absent; when damaged, it is moved aside (its name
     * plus {@code .corrupt-MILLIS}, kept for the operator), the error is logged, and null is returned, so a
     * damaged memory costs a repeated notification, never a process that stops working.
     */
    public static ObjectNode readStateOrSetAside(java.nio.file.Path file, org.apache.logging.log4j.Logger log) throws IOException {
        if (!FileTrees.exists(file)) {
            return null;
        }
        try {
            return parseObject(java.nio.file.Files.readAllBytes(file), file.toString());
        } catch (BadInputException e) {
            java.nio.file.Path aside = file.resolveSibling(file.getFileName() + ".corrupt-" + System.currentTimeMillis());
            java.nio.file.Files.move(file, aside);
            log.error("{}; moved it to {} and starting from an empty state", e.getMessage(), aside);
            return null;
        }
    }

    public static byte[] bytes(JsonNode n) {
        try {
            return MAPPER.writeValueAsBytes(n);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise JSON", e);
        }
    }

    public static byte[] pretty(JsonNode n) {
        try {
            return MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(n);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise JSON", e);
        }
    }

    public static String prettyString(JsonNode n) {
        return new String(pretty(n), StandardCharsets.UTF_8);
    }
}
