package dev.understudy.coordination;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * systemd binds the agent's writable directories ({@code ReadWritePaths=}) when it starts the agent: a directory
 * that did not exist then (the node installed after Understudy) stays read-only to it, and one deleted and made
 * again stays the deleted one. This watch asks for a restart when either is seen while the agent does not hold the
 * role, so that the next takeover can install keys there. A directory that exists but is read-only from the start
 * is a host problem, reported once, not a reason to restart again and again.
 */
final class AccessWatch {
    private static final Logger LOG = LogManager.getLogger(AccessWatch.class);
    static final long INTERVAL_MS = 5000;

    private final List<Path> dirs;
    private final List<Path> missingAtStart = new ArrayList<>();
    private final List<Path> reported = new ArrayList<>();
    private final String tag;

    AccessWatch(List<Path> dirs, String tag) {
        this.dirs = List.copyOf(dirs);
        this.tag = tag;
        for (Path d : dirs) {
            if (!Files.isDirectory(d)) {
                missingAtStart.add(d);
            }
        }
    }

    /**
     * Every {@link #INTERVAL_MS} until a restart is due and {@code holding} is false; then the reason. Returns null
     * when interrupted.
     */
    String await(BooleanSupplier holding) {
        while (!Thread.currentThread().isInterrupted()) {
            try {
                Thread.sleep(INTERVAL_MS);
            } catch (InterruptedException e) {
                return null;
            }
            String why = check(readMountinfo());
            if (why != null && !holding.getAsBoolean()) {
                return why;
            }
        }
        return null;
    }

    /** Why the agent must restart to write where it must (null: it need not), given its mountinfo text. */
    String check(String mountinfo) {
        for (Path d : dirs) {
            if (!Files.isDirectory(d)) {
                continue;
            }
            Mount m = mountOf(mountinfo, d.toAbsolutePath().normalize().toString());
            if (m == null) {
                continue;
            }
            if (m.deleted()) {
                return d + " was deleted and made again after the agent started";
            }
            if (m.readOnly()) {
                if (missingAtStart.contains(d)) {
                    return d + " appeared after the agent started";
                }
                if (!reported.contains(d)) {
                    reported.add(d);
                    LOG.error("{}{} is read-only to the agent: it cannot install keys there (is it on a read-only file system?)", tag, d);
                }
            }
        }
        return null;
    }

    private static String readMountinfo() {
        try {
            return Files.readString(Path.of("/proc/self/mountinfo"));
        } catch (IOException e) {
            return "";
        }
    }

    /** A mount as {@code /proc/self/mountinfo} lists it: its point, its per-mount options, its root. */
    record Mount(String point, boolean readOnly, boolean deleted) {
    }

    /** The mount {@code path} lies on: the last-listed mount whose point is the longest prefix of it. */
    static Mount mountOf(String mountinfo, String path) {
        Mount best = null;
        for (String line : mountinfo.split("\n")) {
            String[] f = line.split(" ");
            if (f.length < 6) {
                continue;
            }
            String root = unescape(f[3]);
            String point = unescape(f[4]);
            boolean under = path.equals(point) || point.equals("/") || path.startsWith(point + "/");
            if (under && (best == null || point.length() >= best.point().length())) {
                boolean ro = List.of(f[5].split(",")).contains("ro");
                best = new Mount(point, ro, root.endsWith("//deleted"));
            }
        }
        return best;
    }

    /** mountinfo writes space, tab, newline and backslash as octal escapes. */
    private static String unescape(String s) {
        if (s.indexOf('\\') < 0) {
            return s;
        }
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 3 < s.length() && s.substring(i + 1, i + 4).chars().allMatch(ch -> ch >= '0' && ch <= '7')) {
                b.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }
}
