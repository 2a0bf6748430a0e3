package dev.understudy.node.multiversx;

import dev.understudy.node.NodeException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code [Preferences] RedundancyLevel} in a node's {@code prefs.toml}: 0 is the main, N the N-th backup. Read,
 * and rewritten in place (every other line kept byte for byte). A negative level is refused, as the node refuses
 * it; a large positive level means "never step in".
 */
public final class MxPrefs {
    private static final Pattern SECTION = Pattern.compile("^\\s*\\[([^\\]]+)\\]\\s*(#.*)?$");
    private static final Pattern LEVEL = Pattern.compile("^(\\s*RedundancyLevel\\s*=\\s*)(-?\\d+)(\\s*(#.*)?)$");

    private MxPrefs() {
    }

    public static long redundancyLevel(String toml, String src) throws NodeException {
        String[] lines = toml.split("\n", -1);
        long v = Long.parseLong(matched(lines[levelLine(lines, src)]).group(2));
        if (v < 0) {
            throw NodeException.badOutput(src + ": [Preferences] RedundancyLevel is negative (" + v + "); the node refuses it");
        }
        return v;
    }

    /** The same file with the level replaced; every other byte as it was. */
    public static String withRedundancyLevel(String toml, long level, String src) throws NodeException {
        if (level < 0) {
            throw new IllegalArgumentException("RedundancyLevel must not be negative (the node refuses it): " + level);
        }
        String[] lines = toml.split("\n", -1);
        int i = levelLine(lines, src);
        Matcher m = matched(lines[i]);
        lines[i] = m.group(1) + level + m.group(3);
        return String.join("\n", lines);
    }

    /** The RedundancyLevel line {@link #levelLine} found, with its groups. */
    private static Matcher matched(String line) {
        Matcher m = LEVEL.matcher(line);
        if (!m.matches()) {
            throw new IllegalStateException("not a RedundancyLevel line: " + line);
        }
        return m;
    }

    /** The index of [Preferences]' RedundancyLevel line, or an error naming what is missing or malformed. */
    private static int levelLine(String[] lines, String src) throws NodeException {
        String section = "";
        boolean sawSection = false;
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            Matcher s = SECTION.matcher(line);
            if (s.matches()) {
                section = s.group(1).strip();
                sawSection |= section.equals("Preferences");
                continue;
            }
            if (section.equals("Preferences")) {
                if (LEVEL.matcher(line).matches()) {
                    return i;
                }
                if (line.strip().startsWith("RedundancyLevel")) {
                    throw NodeException.badOutput(src + ": [Preferences] RedundancyLevel expected a whole number, got '"
                            + line.strip() + "'");
                }
            }
        }
        throw NodeException.badOutput(src + (sawSection ? ": [Preferences] has no RedundancyLevel" : ": no [Preferences] section"));
    }
}
