package dev.understudy.bundle;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.understudy.cli.BadInputException;
import dev.understudy.common.AtomicFiles;
import dev.understudy.common.Json;
import dev.understudy.identity.AgeIdentity;
import dev.understudy.node.PeriodKeys;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Verified bundles, kept encrypted: {@code STATE/bundles/NAME.age|.sig} and {@code index.json}, which is
 * written last, so a failure part-way (a full disk) leaves the previous index — the last good state —
 * untouched. Refused bundles go to {@code STATE/quarantine/} with a reason file.
 */
public final class BundleStore {
    public static final String INDEX = "index.json";
    static final int QUARANTINE_KEEP = 100;

    /** One stored bundle as the index records it. */
    public record Entry(String name, String file, String source, long seq, long epoch, String created, String receivedAt,
            List<PeriodKeys> periods, int files, String sha256, long size, String recipient) {

        ObjectNode json() {
            ObjectNode n = Json.object();
            n.put("name", name).put("file", file).put("source", source).put("seq", seq).put("epoch", epoch).put("created", created)
                    .put("receivedAt", receivedAt).put("files", files).put("sha256", sha256).put("size", size)
                    .put("recipient", recipient);
            ArrayNode ps = n.putArray("periods");
            for (PeriodKeys p : periods) {
                ArrayNode ids = ps.addObject().put("period", p.period()).putArray("keyIds");
                p.keyIds().forEach(ids::add);
            }
            return n;
        }

        static Entry parse(JsonNode n) {
            List<PeriodKeys> ps = new ArrayList<>();
            for (JsonNode p : n.path("periods")) {
                List<String> ids = new ArrayList<>();
                p.path("keyIds").forEach(i -> ids.add(i.asText()));
                ps.add(new PeriodKeys(p.path("period").asLong(), ids));
            }
            return new Entry(n.path("name").asText(), n.path("file").asText(), n.path("source").asText(), n.path("seq").asLong(),
                    n.path("epoch").asLong(), n.path("created").asText(), n.path("receivedAt").asText(), ps,
                    n.path("files").asInt(), n.path("sha256").asText(), n.path("size").asLong(), n.path("recipient").asText());
        }

        public boolean covers(long period) {
            return periods.stream().anyMatch(p -> p.period() == period);
        }
    }

    private final Path dir;
    private final Path quarantine;
    private final int keep;

    public BundleStore(Path stateDir, int keep) {
        this.dir = stateDir.resolve("bundles");
        this.quarantine = stateDir.resolve("quarantine");
        this.keep = keep;
    }

    public Path dir() {
        return dir;
    }

    public Path quarantineDir() {
        return quarantine;
    }

    /** The index: accepted bundles oldest first, and the last accepted sequence per source. */
    public record Index(List<Entry> entries, Map<String, Long> lastAccepted) {
    }

    public Index index() throws IOException, BadInputException {
        Path f = dir.resolve(INDEX);
        if (!Files.exists(f)) {
            return new Index(List.of(), Map.of());
        }
        ObjectNode n = Json.parseObject(Files.readAllBytes(f), f.toString());
        List<Entry> es = new ArrayList<>();
        n.path("bundles").forEach(b -> es.add(Entry.parse(b)));
        Map<String, Long> last = new TreeMap<>();
        n.path("lastAccepted").fields().forEachRemaining(e -> last.put(e.getKey(), e.getValue().asLong()));
        return new Index(es, last);
    }

    private void writeIndex(List<Entry> es, Map<String, Long> last) throws IOException {
        ObjectNode n = Json.object();
        n.put("version", 1);
        ObjectNode l = n.putObject("lastAccepted");
        last.forEach(l::put);
        ArrayNode b = n.putArray("bundles");
        es.forEach(e -> b.add(e.json()));
        AtomicFiles.write(dir.resolve(INDEX), Json.pretty(n));
    }

    /** Stores a verified bundle: files first, then the index, then old bundles beyond {@code keep} go. */
    public Entry accept(Bundle.Opened o, byte[] ciphertext, byte[] sigFile, AgeIdentity opener)
            throws IOException, BadInputException {
        AtomicFiles.createPrivateDirectories(dir);
        Bundle.Header h = o.header();
        String name = Bundle.name(h.validator(), h.source(), h.seq());
        AtomicFiles.write(dir.resolve(name + Bundle.AGE), ciphertext);
        AtomicFiles.write(dir.resolve(name + Bundle.SIG), sigFile);
        Entry e = new Entry(name, name + Bundle.AGE, h.source(), h.seq(), h.epoch(), h.created(), Instant.now().toString(),
                o.manifest().periods(), o.files().size(), Manifest.sha256(ciphertext), ciphertext.length, opener.recipient());
        Index idx = index();
        List<Entry> es = new ArrayList<>(idx.entries());
        es.removeIf(x -> x.name().equals(name));
        es.add(e);
        Map<String, Long> last = new TreeMap<>(idx.lastAccepted());
        last.merge(h.source(), h.seq(), Math::max);
        List<Entry> drop = pruneCandidates(es);
        es.removeAll(drop);
        writeIndex(es, last);
        for (Entry d : drop) {
            Files.deleteIfExists(dir.resolve(d.file()));
            Files.deleteIfExists(dir.resolve(d.name() + Bundle.SIG));
        }
        return e;
    }

    /**
     * The oldest entries beyond {@code keep}, except one that is the newest to cover some period no newer
     * kept entry covers (pruning never takes away the only copy of a period's keys).
     */
    List<Entry> pruneCandidates(List<Entry> es) {
        List<Entry> drop = new ArrayList<>();
        int excess = es.size() - keep;
        Set<Long> coveredByNewer = new HashSet<>();
        List<Entry> newestFirst = new ArrayList<>(es);
        java.util.Collections.reverse(newestFirst);
        Map<Entry, Boolean> needed = new HashMap<>();
        for (Entry e : newestFirst) {
            boolean covers = false;
            for (PeriodKeys p : e.periods()) {
                covers |= coveredByNewer.add(p.period());
            }
            needed.put(e, covers);
        }
        for (Entry e : es) {
            if (drop.size() >= excess) {
                break;
            }
            if (!needed.get(e)) {
                drop.add(e);
            }
        }
        return drop;
    }

    /** The most recently accepted bundle that covers a period, or null. */
    public Entry latestFor(long period) throws IOException, BadInputException {
        Entry best = null;
        for (Entry e : index().entries()) {
            if (e.covers(period)) {
                best = e;
            }
        }
        return best;
    }

    public byte[] ciphertext(Entry e) throws IOException {
        return Files.readAllBytes(dir.resolve(e.file()));
    }

    public byte[] signature(Entry e) throws IOException {
        return Files.readAllBytes(dir.resolve(e.name() + Bundle.SIG));
    }

    /** A stored bundle's files as read, with the index entry that names them (its hash is the ciphertext's). */
    public record Stored(Entry entry, byte[] signature, byte[] ciphertext) {}

    /**
     * Reads a bundle's files for an entry from an earlier read of the index. A key rotation may have replaced
     * the ciphertext since (a new file, then the index, then the old file goes): then the current index names
     * the file to read and the hash it has. Fails only if the bundle itself is gone from the store.
     */
    public Stored read(Entry e) throws IOException, BadInputException {
        Entry current = e;
        for (int attempt = 0; ; attempt++) {
            try {
                return new Stored(current, signature(current), ciphertext(current));
            } catch (NoSuchFileException gone) {
                Entry again = index().entries().stream().filter(x -> x.name().equals(e.name())).findFirst().orElse(null);
                if (again == null || attempt == 3) {
                    throw new NoSuchFileException(dir.resolve(current.file()).toString(), null,
                            again == null ? "bundle " + e.name() + " is no longer in the store" : "replaced again while reading");
                }
                current = again;
            }
        }
    }

    /**
     * Replaces a stored bundle's ciphertext (key rotation): the new ciphertext is written beside the old one
     * under a new name, then the index switches to it in one atomic write, then the old file goes. A crash at
     * any point leaves the index naming a file whose hash it records.
     */
    public void replaceCiphertext(Entry e, byte[] ciphertext, String recipient) throws IOException, BadInputException {
        String file = e.name() + ".r" + Long.toHexString(System.nanoTime()) + Bundle.AGE;
        AtomicFiles.write(dir.resolve(file), ciphertext);
        Index idx = index();
        List<Entry> es = new ArrayList<>();
        for (Entry x : idx.entries()) {
            es.add(x.name().equals(e.name()) ? new Entry(x.name(), file, x.source(), x.seq(), x.epoch(), x.created(),
                    x.receivedAt(), x.periods(), x.files(), Manifest.sha256(ciphertext), ciphertext.length, recipient) : x);
        }
        writeIndex(es, idx.lastAccepted());
        Files.deleteIfExists(dir.resolve(e.file()));
    }

    /**
     * Copies a refused bundle's files to quarantine with a reason record, then removes them from where they
     * were (copy, not rename: incoming may be on another file system); returns the reason file.
     */
    public Path quarantine(String name, Path age, Path sig, Rejection r) throws IOException {
        AtomicFiles.createPrivateDirectories(quarantine);
        String base = Instant.now().toString().replace(':', '-') + "-" + name;
        ObjectNode reason = Json.object();
        reason.put("bundle", name);
        reason.put("reason", r.reason().name());
        reason.put("message", r.getMessage());
        reason.put("at", Instant.now().toString());
        Path f = quarantine.resolve(base + ".reason.json");
        for (Path p : new Path[] {age, sig}) {
            if (p != null && Files.exists(p)) {
                String suffix = p.getFileName().toString().endsWith(Bundle.SIG) ? Bundle.SIG : Bundle.AGE;
                AtomicFiles.copy(p, quarantine.resolve(base + suffix), AtomicFiles.PRIVATE);
            }
        }
        AtomicFiles.write(f, Json.pretty(reason));
        for (Path p : new Path[] {age, sig}) {
            if (p != null) {
                Files.deleteIfExists(p);
            }
        }
        trimQuarantine();
        return f;
    }

    public List<ObjectNode> quarantined() throws IOException, BadInputException {
        List<ObjectNode> out = new ArrayList<>();
        if (!Files.isDirectory(quarantine)) {
            return out;
        }
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(quarantine, "*.reason.json")) {
            ds.forEach(files::add);
        }
        files.sort(null);
        for (Path f : files) {
            out.add(Json.parseObject(Files.readAllBytes(f), f.toString()));
        }
        return out;
    }

    private void trimQuarantine() throws IOException {
        List<Path> reasons = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(quarantine, "*.reason.json")) {
            ds.forEach(reasons::add);
        }
        reasons.sort(null);
        for (int i = 0; i < reasons.size() - QUARANTINE_KEEP; i++) {
            String base = reasons.get(i).getFileName().toString().replace(".reason.json", "");
            for (String suffix : List.of(Bundle.AGE, Bundle.SIG, ".reason.json")) {
                Files.deleteIfExists(quarantine.resolve(base + suffix));
            }
        }
    }
}
