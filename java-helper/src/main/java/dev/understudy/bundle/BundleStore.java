package dev.understudy.bundle;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.understudy.cli.BadInputException;
import dev.understudy.common.AtomicFiles;
import dev.understudy.common.FileTrees;
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

    /** The highest sequence ever accepted per source, kept apart from the index so a rebuild cannot lower it. */
    public static final String HIGH_WATER = "high-water.json";
    private static final org.apache.logging.log4j.Logger LOG = org.apache.logging.log4j.LogManager.getLogger(BundleStore.class);

    private final Path dir;
    private final Path quarantine;
    private final int keep;
    private final IndexRebuild rebuild;

    /** A store that cannot rebuild its index (no identities at hand): a damaged index is an error. */
    public BundleStore(Path stateDir, int keep) {
        this(stateDir, keep, null, 0);
    }

    private BundleStore(Path stateDir, int keep, dev.understudy.identity.IdentityStore identities, long maxBytes) {
        this.dir = stateDir.resolve("bundles");
        this.quarantine = stateDir.resolve("quarantine");
        this.keep = keep;
        this.rebuild = identities == null ? null : new IndexRebuild(dir, identities, maxBytes);
    }

    /** The host's store, which rebuilds a lost or damaged index from the stored bundles with the host's identities. */
    public static BundleStore of(dev.understudy.config.Config c) {
        return new BundleStore(c.stateDir(), c.sync().keepBundles(), new dev.understudy.identity.IdentityStore(c.identityDir()),
                c.sync().maxBundleBytes());
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

    /**
     * The index, its last accepted sequences raised to the high-water mark. A damaged index is set aside and
     * rebuilt from the stored bundles (when this store has the identities to open them), as is a lost one while
     * bundles remain; without identities a damaged index is an error naming the file.
     */
    public Index index() throws IOException, BadInputException {
        Path f = dir.resolve(INDEX);
        Map<String, Long> high = highWater();
        if (!FileTrees.exists(f)) {
            if (rebuild != null && hasSignatures()) {
                return rebuilt(high, "is missing while bundles remain");
            }
            return new Index(List.of(), high);
        }
        ObjectNode n;
        try {
            n = Json.parseObject(Files.readAllBytes(f), f.toString());
        } catch (BadInputException e) {
            if (rebuild == null) {
                throw e;
            }
            Path aside = f.resolveSibling(INDEX + ".corrupt-" + System.currentTimeMillis());
            Files.move(f, aside);
            return rebuilt(high, "is damaged (" + e.getMessage() + "; kept as " + aside.getFileName() + ")");
        }
        List<Entry> es = new ArrayList<>();
        n.path("bundles").forEach(b -> es.add(Entry.parse(b)));
        Map<String, Long> last = new TreeMap<>(high);
        n.path("lastAccepted").fields().forEachRemaining(e -> last.merge(e.getKey(), e.getValue().asLong(), Math::max));
        return new Index(es, last);
    }

    private Index rebuilt(Map<String, Long> high, String why) throws IOException, BadInputException {
        Index idx = rebuild.rebuild(high);
        writeIndex(idx.entries(), idx.lastAccepted());
        LOG.error("bundle store {}: the index {}; rebuilt it from {} stored bundle(s), last accepted {}", dir, why,
                idx.entries().size(), idx.lastAccepted());
        return idx;
    }

    private boolean hasSignatures() throws IOException {
        if (!Files.isDirectory(dir)) {
            return false;
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*" + Bundle.SIG)) {
            return ds.iterator().hasNext();
        }
    }

    /** The high-water mark; a damaged one is set aside (the index and the bundles still hold the sequences). */
    private Map<String, Long> highWater() throws IOException {
        Map<String, Long> m = new TreeMap<>();
        ObjectNode n = Json.readStateOrSetAside(dir.resolve(HIGH_WATER), LOG);
        if (n != null) {
            n.fields().forEachRemaining(e -> m.put(e.getKey(), e.getValue().asLong()));
        }
        return m;
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
        Index idx = index();
        AtomicFiles.write(dir.resolve(name + Bundle.AGE), ciphertext);
        AtomicFiles.write(dir.resolve(name + Bundle.SIG), sigFile);
        Entry e = new Entry(name, name + Bundle.AGE, h.source(), h.seq(), h.epoch(), h.created(), Instant.now().toString(),
                o.manifest().periods(), o.files().size(), Manifest.sha256(ciphertext), ciphertext.length, opener.recipient());
        List<Entry> es = new ArrayList<>(idx.entries());
        es.removeIf(x -> x.name().equals(name));
        es.add(e);
        Map<String, Long> last = new TreeMap<>(idx.lastAccepted());
        last.merge(h.source(), h.seq(), Math::max);
        List<Entry> drop = pruneCandidates(es);
        es.removeAll(drop);
        // the high-water mark first: whatever happens to the index later, a replay of this sequence stays refused
        ObjectNode hw = Json.object();
        last.forEach(hw::put);
        AtomicFiles.write(dir.resolve(HIGH_WATER), Json.pretty(hw));
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

    /** Every stored bundle that covers a period, the most recently accepted first. */
    public List<Entry> coveringNewestFirst(long period) throws IOException, BadInputException {
        List<Entry> out = new ArrayList<>(index().entries().stream().filter(e -> e.covers(period)).toList());
        java.util.Collections.reverse(out);
        return out;
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

    /** One file of a refused upload: its size as found, and its content when it was read (null: not kept). */
    public record Piece(String suffix, long size, byte[] content) {
    }

    /**
     * Records a refused upload in quarantine: a reason record, and the content of each piece that was read
     * (within its cap, never through a link). The caller removes the upload itself. Returns the reason file.
     */
    public Path quarantine(String name, Rejection r, List<Piece> pieces) throws IOException {
        AtomicFiles.createPrivateDirectories(quarantine);
        // the name is the uploader's choice: only safe characters, and short enough for the file system
        String safe = name.replaceAll("[^A-Za-z0-9._-]", "_");
        String base = Instant.now().toString().replace(':', '-') + "-" + (safe.length() > 100 ? safe.substring(0, 100) : safe);
        ObjectNode reason = Json.object();
        reason.put("bundle", Bundle.shown(name));
        reason.put("reason", r.reason().name());
        reason.put("message", r.getMessage());
        reason.put("at", Instant.now().toString());
        ArrayNode files = reason.putArray("files");
        for (Piece p : pieces) {
            files.addObject().put("suffix", p.suffix()).put("size", p.size()).put("kept", p.content() != null);
            if (p.content() != null) {
                AtomicFiles.write(quarantine.resolve(base + p.suffix()), p.content());
            }
        }
        Path f = quarantine.resolve(base + ".reason.json");
        AtomicFiles.write(f, Json.pretty(reason));
        trimQuarantine();
        return f;
    }

    /** The last quarantine read per directory: the record files' names and what they held. */
    private record Read(List<Path> files, List<ObjectNode> records) {
    }

    private static final Map<Path, Read> QUARANTINE_READS = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * The quarantine records, oldest first. The agent's status asks every second; a record is written once under
     * a unique name and never changed, so the records are parsed again only when the list of names changed.
     */
    public List<ObjectNode> quarantined() throws IOException, BadInputException {
        if (!Files.isDirectory(quarantine)) {
            return new ArrayList<>();
        }
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(quarantine, "*.reason.json")) {
            ds.forEach(files::add);
        }
        files.sort(null);
        Read last = QUARANTINE_READS.get(quarantine);
        if (last != null && last.files().equals(files)) {
            return new ArrayList<>(last.records());
        }
        List<ObjectNode> out = new ArrayList<>();
        for (Path f : files) {
            out.add(Json.parseObject(Files.readAllBytes(f), f.toString()));
        }
        QUARANTINE_READS.put(quarantine, new Read(List.copyOf(files), List.copyOf(out)));
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
