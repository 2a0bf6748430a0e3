package dev.understudy.node;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;

/** What the backup needs for the current and next period: the files and the periods they cover. */
public record KeySet(List<KeyFile> files, List<PeriodKeys> periods) {
    /**
     * A period without a key (the next one before its election) is left out: listed, it would count as covered on
     * the receiving side while nothing there can sign it, and a receiver refuses such a manifest.
     */
    public KeySet {
        files = List.copyOf(files);
        periods = periods.stream().filter(p -> !p.keyIds().isEmpty()).toList();
    }

    /** A hash over paths, modes, contents and periods: it changes exactly when the key set does. */
    public String fingerprint() {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            List<KeyFile> sorted = new ArrayList<>(files);
            sorted.sort(Comparator.comparing(KeyFile::path));
            for (KeyFile f : sorted) {
                d.update((f.path() + "\0" + f.mode() + "\0").getBytes(StandardCharsets.UTF_8));
                d.update(MessageDigest.getInstance("SHA-256").digest(f.content()));
            }
            for (PeriodKeys p : periods) {
                d.update(("period " + p.period() + " " + String.join(",", p.keyIds()) + "\n").getBytes(StandardCharsets.UTF_8));
            }
            return HexFormat.of().formatHex(d.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 missing", e);
        }
    }
}
