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
        Matcher m = find(toml, src);
        return Long.parseLong(m.group(2));
    }

    /** The same file with the level replaced. */
    public static String withRedundancyLevel(String toml, long level, String src) throws NodeException {
        if (level < 0) {
            throw new IllegalArgumentException("RedundancyLevel must not be negative (the node refuses it): " + level);
        }
        StringBuilder out = new StringBuilder();
        String section = "";
        boolean done = false;
        for (String line : toml.split("(?<=\n)", -1)) {
            String bare = line.endsWith("\n") ? line.substring(0, line.length() - 1) : line;
            Matcher s = SECTION.matcher(bare);
            if (s.matches()) {
                section = s.group(1).strip();
            }
            Matcher l = LEVEL.matcher(bare);
            if (!done && section.equals("Preferences") && l.matches()) {
                out.append(l.group(1)).append(level).append(l.group(3)).append(line.endsWith("\n") ? "\n" : "");
                done = true;
            } else {
                out.append(line);
            }
        }
        if (!done) {
            find(toml, src); // throws naming what is missing
        }
        return out.toString();
    }

    private static Matcher find(String toml, String src) throws NodeException {
        String section = "";
        boolean sawSection = false;
        for (String line : toml.split("\n", -1)) {
            Matcher s = SECTION.matcher(line);
            if (s.matches()) {
                section = s.group(1).strip();
                sawSection |= section.equals("Preferences");
                continue;
            }
            if (section.equals("Preferences")) {
                Matcher l = LEVEL.matcher(line);
                if (l.matches()) {
                    long v = Long.parseLong(l.group(2));
                    if (v < 0) {
                        throw NodeException.badOutput(src + ": [Preferences] RedundancyLevel is negative (" + v + "); the node refuses it");
                    }
                    return l;
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
