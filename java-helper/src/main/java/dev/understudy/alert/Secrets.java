package dev.understudy.alert;

import dev.understudy.cli.BadInputException;
import dev.understudy.common.FileTrees;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * Channel secrets (tokens, passwords) from a KEY=VALUE file that only its owner (and group) may read. Values
 * are never logged; {@link #redact(String)} removes them from any text about to be logged.
 */
public final class Secrets {
    private final Map<String, String> values;

    private Secrets(Map<String, String> values) {
        this.values = values;
    }

    public static Secrets none() {
        return new Secrets(Map.of());
    }

    public static Secrets load(Path file) throws IOException, BadInputException {
        if (file == null || !FileTrees.exists(file)) {
            return none();
        }
        Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
        if (perms.contains(PosixFilePermission.OTHERS_READ) || perms.contains(PosixFilePermission.GROUP_WRITE)
                || perms.contains(PosixFilePermission.OTHERS_WRITE)) {
            throw new BadInputException(file + ": secrets file is readable by others or writable by its group (mode "
                    + java.nio.file.attribute.PosixFilePermissions.toString(perms) + "); expected 0600 or 0640");
        }
        Map<String, String> v = new HashMap<>();
        int n = 0;
        for (String line : Files.readAllLines(file)) {
            n++;
            String l = line.trim();
            if (l.isEmpty() || l.startsWith("#")) {
                continue;
            }
            int eq = l.indexOf('=');
            if (eq <= 0) {
                throw new BadInputException(file + " line " + n + ": expected NAME=VALUE");
            }
            String val = l.substring(eq + 1).trim();
            if (val.length() >= 2 && (val.startsWith("\"") && val.endsWith("\"") || val.startsWith("'") && val.endsWith("'"))) {
                val = val.substring(1, val.length() - 1);
            }
            v.put(l.substring(0, eq).trim(), val);
        }
        return new Secrets(v);
    }

    public String get(String name, String where) throws BadInputException {
        if (name == null) {
            return null;
        }
        String v = values.get(name);
        if (v == null || v.isEmpty()) {
            throw new BadInputException(where + ": secret " + name + " is not set in the secrets file");
        }
        return v;
    }

    public String redact(String text) {
        String t = text == null ? "" : text;
        for (String v : values.values()) {
            if (v.length() >= 4) {
                t = t.replace(v, "***");
            }
        }
        return t;
    }
}
