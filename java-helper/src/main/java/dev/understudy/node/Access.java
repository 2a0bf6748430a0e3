package dev.understudy.node;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * What the agent needs of its host to drive the node, beyond its own state directory: the directories whose files it
 * writes (keys, the node's config, election files) and the systemd units it starts and stops. The role turns it into
 * the agent unit's {@code ReadWritePaths=} (everything else is read-only to the agent) and a polkit rule that lets
 * the agent's user start, stop and kill exactly these units, nothing else.
 */
public record Access(List<Path> writes, List<String> units) {
    public static final Access NONE = new Access(List.of(), List.of());

    public Access {
        writes = List.copyOf(new LinkedHashSet<>(writes));
        units = List.copyOf(new LinkedHashSet<>(units));
    }

    /** A unit as systemd names it: {@code validator} is {@code validator.service}. */
    public static String unitName(String unit) {
        return unit.contains(".") ? unit : unit + ".service";
    }

    /** The directories holding {@code files}. */
    public static List<Path> parents(List<Path> files) {
        List<Path> out = new ArrayList<>();
        for (Path f : files) {
            if (f != null && f.getParent() != null) {
                out.add(f.getParent());
            }
        }
        return out;
    }

    /** Both together, each entry once, in order. */
    public Access plus(Access o) {
        List<Path> w = new ArrayList<>(writes);
        w.addAll(o.writes);
        List<String> u = new ArrayList<>(units);
        u.addAll(o.units);
        return new Access(w, u);
    }
}
