package dev.understudy.config;

import com.fasterxml.jackson.databind.JsonNode;
import dev.understudy.cli.BadInputException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A mapping in a config file, read key by key. Every error names the file, the key's dotted path and what
 * is expected; {@link #done()} rejects keys nobody read (a typo is an error, not a silent default).
 */
public final class Section {
    /** Every setting any parser asked for, present or not, by pattern ({@code hosts.*.role}): the reference check. */
    private static final Set<String> KNOWN = ConcurrentHashMap.newKeySet();

    private final String file;
    private final String path;
    /** The path with the names of named entries replaced by {@code *}. */
    private final String pattern;
    private final JsonNode node;
    private final Set<String> read = new LinkedHashSet<>();

    Section(String file, String path, String pattern, JsonNode node) {
        this.file = file;
        this.path = path;
        this.pattern = pattern;
        this.node = node;
    }

    public static Section root(String file, JsonNode node) throws BadInputException {
        if (node == null || !node.isObject()) {
            throw new BadInputException(file + ": expected a mapping of settings at the top level");
        }
        return new Section(file, "", "", node);
    }

    /**
     * The settings the parsers of this process have asked for so far, as dotted patterns; a test parses the
     * documented examples and checks that every setting the code knows is documented.
     */
    public static Set<String> knownSettings() {
        return new TreeSet<>(KNOWN);
    }

    public String where(String key) {
        return file + ": " + (path.isEmpty() ? key : path + "." + key);
    }

    public String path() {
        return path;
    }

    public BadInputException error(String key, String message) {
        return new BadInputException(where(key) + ": " + message);
    }

    public boolean has(String key) {
        JsonNode v = node.get(key);
        return v != null && !v.isNull();
    }

    private JsonNode get(String key) {
        read.add(key);
        KNOWN.add(pattern.isEmpty() ? key : pattern + "." + key);
        JsonNode v = node.get(key);
        return v == null || v.isNull() ? null : v;
    }

    public String string(String key) throws BadInputException {
        JsonNode v = get(key);
        if (v == null) {
            throw error(key, "is required");
        }
        return text(key, v);
    }

    public String string(String key, String fallback) throws BadInputException {
        JsonNode v = get(key);
        return v == null ? fallback : text(key, v);
    }

    private String text(String key, JsonNode v) throws BadInputException {
        if (!v.isValueNode() || v.isBoolean() || v.asText().isEmpty()) {
            throw error(key, "expected a non-empty string, got " + v);
        }
        return v.asText();
    }

    public Path path(String key, Path fallback) throws BadInputException {
        String s = string(key, fallback == null ? null : fallback.toString());
        if (s == null) {
            return null;
        }
        Path p = Path.of(s);
        if (!p.isAbsolute()) {
            throw error(key, "expected an absolute path, got '" + s + "'");
        }
        return p;
    }

    public Path path(String key) throws BadInputException {
        Path p = path(key, null);
        if (p == null) {
            throw error(key, "is required (an absolute path)");
        }
        return p;
    }

    public long integer(String key, long fallback, long min, long max) throws BadInputException {
        JsonNode v = get(key);
        if (v == null) {
            return fallback;
        }
        if (!v.isIntegralNumber() || !v.canConvertToLong()) {
            throw error(key, "expected an integer from " + min + " to " + max + ", got " + v);
        }
        long n = v.asLong();
        if (n < min || n > max) {
            throw error(key, "expected an integer from " + min + " to " + max + ", got " + n);
        }
        return n;
    }

    public boolean bool(String key, boolean fallback) throws BadInputException {
        JsonNode v = get(key);
        if (v == null) {
            return fallback;
        }
        if (!v.isBoolean()) {
            throw error(key, "expected true or false, got " + v);
        }
        return v.asBoolean();
    }

    public String choice(String key, String fallback, String... allowed) throws BadInputException {
        String s = fallback == null ? string(key) : string(key, fallback);
        for (String a : allowed) {
            if (a.equals(s)) {
                return s;
            }
        }
        throw error(key, "expected one of " + String.join(", ", allowed) + ", got '" + s + "'");
    }

    public List<String> strings(String key) throws BadInputException {
        JsonNode v = get(key);
        List<String> out = new ArrayList<>();
        if (v == null) {
            return out;
        }
        if (v.isValueNode()) {
            out.add(text(key, v));
            return out;
        }
        if (!v.isArray()) {
            throw error(key, "expected a list of strings, got " + v);
        }
        for (int i = 0; i < v.size(); i++) {
            out.add(text(key + "[" + i + "]", v.get(i)));
        }
        return out;
    }

    public Section section(String key) throws BadInputException {
        JsonNode v = get(key);
        if (v == null) {
            throw error(key, "is required (a mapping)");
        }
        return sectionOf(key, v);
    }

    /** A sub-mapping, or an empty one when absent. */
    public Section optionalSection(String key) throws BadInputException {
        JsonNode v = get(key);
        if (v == null) {
            return new Section(file, join(key), patternOf(key),
                    com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode());
        }
        return sectionOf(key, v);
    }

    private Section sectionOf(String key, JsonNode v) throws BadInputException {
        if (!v.isObject()) {
            throw error(key, "expected a mapping, got " + v.getNodeType().toString().toLowerCase());
        }
        return new Section(file, join(key), patternOf(key), v);
    }

    private Section entryOf(String name, JsonNode v) throws BadInputException {
        if (!v.isObject()) {
            throw error(name, "expected a mapping, got " + v.getNodeType().toString().toLowerCase());
        }
        return new Section(file, join(name), pattern + ".*", v);
    }

    private String patternOf(String key) {
        return pattern.isEmpty() ? key : pattern + "." + key;
    }

    /** The entries of a mapping of named sub-mappings (e.g. hosts: {name: {...}}), in file order. */
    public List<Map.Entry<String, Section>> entries(String key) throws BadInputException {
        Section s = section(key);
        List<Map.Entry<String, Section>> out = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = s.node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            s.read.add(e.getKey());
            out.add(Map.entry(e.getKey(), s.entryOf(e.getKey(), e.getValue())));
        }
        return out;
    }

    private String join(String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    /** Rejects any key that was not read. */
    public void done() throws BadInputException {
        Set<String> unknown = new TreeSet<>();
        node.fieldNames().forEachRemaining(k -> {
            if (!read.contains(k)) {
                unknown.add(k);
            }
        });
        if (!unknown.isEmpty()) {
            String k = unknown.iterator().next();
            throw error(k, "unknown setting" + (read.isEmpty() ? "" : " (known here: " + String.join(", ", read) + ")"));
        }
    }
}
