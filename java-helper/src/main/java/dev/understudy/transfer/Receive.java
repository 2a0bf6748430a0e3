package dev.understudy.transfer;

import dev.understudy.bundle.Bundle;
import dev.understudy.bundle.BundleStore;
import dev.understudy.bundle.Rejection;
import dev.understudy.cli.BadInputException;
import dev.understudy.cli.Failures;
import dev.understudy.common.AtomicFiles;
import dev.understudy.common.FileTrees;
import dev.understudy.config.Config;
import dev.understudy.config.HostEntry;
import dev.understudy.identity.AgeIdentity;
import dev.understudy.identity.IdentityStore;
import dev.understudy.identity.VerifyKey;
import java.io.IOException;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Takes bundles from the drop account's incoming directory: each is checked ({@link Bundle#open}) and either
 * stored (encrypted) or quarantined with its reason. A storage failure (full disk) leaves the bundle in
 * incoming and the store's index untouched.
 */
public final class Receive {
    private static final Logger LOG = LogManager.getLogger(Receive.class);
    static final Duration INCOMPLETE_AFTER = Duration.ofMinutes(10);
    static final Duration STALE_TEMP_AFTER = Duration.ofHours(1);

    /** What one run did. */
    public record Result(List<String> accepted, List<String> rejected, List<String> storageFailures) {
    }

    private final Config config;
    private final BundleStore store;

    public Receive(Config config) {
        this.config = config;
        this.store = BundleStore.of(config);
    }

    public BundleStore store() {
        return store;
    }

    public Bundle.Trust trust() throws IOException, BadInputException {
        IdentityStore ids = new IdentityStore(config.identityDir());
        List<AgeIdentity> identities = ids.decryptionIdentities();
        Set<String> own = new HashSet<>();
        identities.forEach(i -> own.add(i.recipient()));
        Map<String, List<VerifyKey>> signers = new LinkedHashMap<>();
        for (HostEntry p : config.peers()) {
            signers.put(p.name(), p.verifyKeys());
        }
        return new Bundle.Trust(config.validator(), config.host(), signers, own, identities,
                new HashMap<>(store.index().lastAccepted()), config.sync().maxBundleBytes());
    }

    public Result run() throws IOException, BadInputException {
        Path in = config.sync().incomingDir();
        if (!Files.isDirectory(in, LinkOption.NOFOLLOW_LINKS)) {
            throw new BadInputException(config.source() + ": sync.incoming_dir " + in + " does not exist or is not a directory");
        }
        Bundle.Trust trust = trust();
        Run run = new Run(in, trust);
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(in)) {
            if (!(ds instanceof SecureDirectoryStream<Path> dir)) {
                throw new IOException(in + ": this file system offers no directory handle that refuses links; receive"
                        + " does not read a drop box it cannot read safely");
            }
            List<Path> names = new ArrayList<>();
            for (Path p : dir) {
                names.add(p.getFileName());
            }
            names.sort(null);
            for (Path name : names) {
                run.sort(dir, name);
            }
            for (Map.Entry<String, Upload> sig : run.sigs.entrySet()) {
                run.judge(dir, sig.getKey(), sig.getValue(), run.ages.remove(sig.getKey()));
            }
            for (Map.Entry<String, Upload> age : run.ages.entrySet()) {
                if (age.getValue().olderThan(INCOMPLETE_AFTER)) {
                    run.refuse(dir, age.getKey(), age.getValue(), null, new Rejection(Rejection.Reason.INCOMPLETE, "bundle "
                            + Bundle.shown(age.getKey()) + ": ciphertext without a signature for over 10 minutes"), false);
                }
            }
        }
        if (!run.accepted.isEmpty() || !run.rejected.isEmpty()) {
            try {
                acknowledge();
            } catch (IOException | BadInputException e) {
                // what was stored stays stored; without an answer the peers send again after their wait
                LOG.error("validator {}: cannot write the acknowledgements in {}: {}", config.validator(), ackDir(),
                        e instanceof IOException io ? Failures.describe(io) : e.getMessage());
            }
        }
        return new Result(run.accepted, run.rejected, run.failures);
    }

    /** Where acknowledgements go: {@code acks/} beside the drop's incoming directory. */
    public Path ackDir() {
        return config.sync().incomingDir().toAbsolutePath().getParent().resolve("acks");
    }

    /**
     * Writes a signed acknowledgement for every peer: the highest sequence accepted from it and its recent
     * refusals (from the index and the quarantine records, the durable state). A missing acks directory (a drop
     * provisioned before acknowledgements) is logged; the peers then send again after their wait.
     */
    void acknowledge() throws IOException, BadInputException {
        Path dir = ackDir();
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            LOG.warn("validator {}: no acknowledgement directory {}; peers cannot tell an accepted bundle from an uploaded"
                    + " one and will send again (re-run the understudy role)", config.validator(), dir);
            return;
        }
        Map<String, Long> last = store.index().lastAccepted();
        List<com.fasterxml.jackson.databind.node.ObjectNode> quarantined = store.quarantined();
        dev.understudy.identity.SigningKey key = new IdentityStore(config.identityDir()).current().signing();
        for (HostEntry p : config.peers()) {
            String prefix = config.validator() + "-" + p.name() + "-";
            List<Ack.Refused> refused = new ArrayList<>();
            for (int i = quarantined.size() - 1; i >= 0 && refused.size() < Ack.MAX_REFUSED; i--) {
                String bundle = quarantined.get(i).path("bundle").asText();
                if (bundle.startsWith(prefix)) {
                    refused.add(new Ack.Refused(bundle, quarantined.get(i).path("reason").asText()));
                }
            }
            Ack a = new Ack(config.validator(), config.host(), p.name(), last.getOrDefault(p.name(), 0L), refused,
                    Instant.now().toString());
            AtomicFiles.write(dir.resolve(p.name() + ".json"), a.sign(key), AtomicFiles.PUBLIC);
        }
    }

    /** One entry of the drop box as lstat saw it. */
    private record Upload(Path name, BasicFileAttributes attrs) {
        boolean olderThan(Duration d) {
            return attrs.lastModifiedTime().toInstant().isBefore(Instant.now().minus(d));
        }
    }

    /**
     * One pass over the drop box. Every entry is judged on its own: whatever one upload is or does (a link, a
     * FIFO, a directory, a huge or unparsable file), it is refused or left for the operator and the next is
     * still taken. Nothing is opened through a link, nothing is read past its cap, nothing a refused upload
     * says is quoted beyond a sanitized name.
     */
    private final class Run {
        final Path in;
        final Bundle.Trust trust;
        final Map<String, Upload> sigs = new TreeMap<>();
        final Map<String, Upload> ages = new TreeMap<>();
        final List<String> accepted = new ArrayList<>();
        final List<String> rejected = new ArrayList<>();
        final List<String> failures = new ArrayList<>();

        Run(Path in, Bundle.Trust trust) {
            this.in = in;
            this.trust = trust;
        }

        void sort(SecureDirectoryStream<Path> dir, Path name) {
            String n = name.toString();
            try {
                BasicFileAttributes a = dir.getFileAttributeView(name, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                        .readAttributes();
                Upload u = new Upload(name, a);
                if (n.startsWith(".")) {
                    if (n.startsWith(".tmp-") && u.olderThan(STALE_TEMP_AFTER)) {
                        FileTrees.deleteIn(dir, name);
                        LOG.warn("validator {}: removed a partial upload left for over an hour: {}", config.validator(),
                                Bundle.shown(n));
                    }
                } else if (!a.isRegularFile()) {
                    refuse(dir, n, u, null, new Rejection(Rejection.Reason.MALFORMED, "upload " + Bundle.shown(n) + " is "
                            + FileTrees.kind(a) + ", not a regular file; removed without reading it"), false);
                } else if (links(name) > 1) {
                    refuse(dir, n, u, null, new Rejection(Rejection.Reason.MALFORMED, "upload " + Bundle.shown(n)
                            + " has other hard links (it may be another file's name); removed without reading it"), false);
                } else if (n.endsWith(Bundle.SIG)) {
                    sigs.put(n.substring(0, n.length() - Bundle.SIG.length()), u);
                } else if (n.endsWith(Bundle.AGE)) {
                    ages.put(n.substring(0, n.length() - Bundle.AGE.length()), u);
                } else {
                    refuse(dir, n, u, null, new Rejection(Rejection.Reason.MALFORMED, "upload " + Bundle.shown(n)
                            + ": not a bundle file (.age/.sig); removed without reading it"), false);
                }
            } catch (IOException e) {
                fail(n, "cannot be inspected or removed", e);
            }
        }

        void judge(SecureDirectoryStream<Path> dir, String name, Upload sig, Upload age) throws BadInputException {
            String src = "bundle " + Bundle.shown(name);
            try {
                if (sig.attrs().size() > Bundle.MAX_SIG_BYTES) {
                    refuse(dir, name, age, sig, new Rejection(Rejection.Reason.OVERSIZED, src + ": signature file is "
                            + sig.attrs().size() + " bytes, more than " + Bundle.MAX_SIG_BYTES), false);
                    return;
                }
                if (age == null) {
                    refuse(dir, name, null, sig, new Rejection(Rejection.Reason.INCOMPLETE, src + ": signature without its"
                            + " ciphertext " + Bundle.shown(name) + Bundle.AGE), true);
                    return;
                }
                if (age.attrs().size() > trust.maxBytes()) {
                    refuse(dir, name, age, sig, new Rejection(Rejection.Reason.OVERSIZED, src + ": ciphertext is "
                            + age.attrs().size() + " bytes, more than sync.max_bundle_bytes " + trust.maxBytes()), false);
                    return;
                }
            } catch (IOException e) {
                fail(name, "cannot be removed", e);
                return;
            }
            byte[] sigBytes;
            byte[] ct;
            try {
                sigBytes = readCapped(dir, sig.name(), Bundle.MAX_SIG_BYTES);
                ct = readCapped(dir, age.name(), trust.maxBytes());
            } catch (IOException e) {
                // an unreadable upload (wrong owner or mode, grown past its cap) stays where it is for the operator;
                // it must not hold up the bundles behind it
                fail(name, "cannot be read", e);
                return;
            }
            Bundle.Opened opened;
            try {
                opened = Bundle.open(sigBytes, ct, trust, src);
            } catch (Rejection r) {
                quarantine(dir, name, age, sig, r, ct, sigBytes);
                return;
            } catch (RuntimeException e) {
                // a parser fault on hostile input is a refusal of that upload, not the end of the run
                LOG.error("validator {}: {} broke the bundle parser", config.validator(), src, e);
                quarantine(dir, name, age, sig, new Rejection(Rejection.Reason.MALFORMED, src + ": cannot be parsed ("
                        + e.getClass().getSimpleName() + ")"), ct, sigBytes);
                return;
            }
            try {
                AgeIdentity opener = Bundle.opener(ct, trust.identities(), trust.maxBytes());
                BundleStore.Entry e = store.accept(opened, ct, sigBytes, opener);
                trust.lastAccepted().put(e.source(), e.seq());
                dir.deleteFile(sig.name());
                dir.deleteFile(age.name());
                accepted.add(e.name());
                LOG.info("validator {}: bundle {} from {} accepted: seq {}, epoch {}, periods {}, {} files", config.validator(),
                        e.name(), e.source(), e.seq(), e.epoch(), e.periods().stream().map(p -> p.period()).toList(), e.files());
            } catch (IOException e) {
                failures.add(Bundle.shown(name) + ": " + Failures.describe(e));
                LOG.error("validator {}: bundle {} verified but NOT stored: {}; it stays in {} and the last good bundle is"
                        + " untouched", config.validator(), name, Failures.describe(e), in);
            }
        }

        private void quarantine(SecureDirectoryStream<Path> dir, String name, Upload age, Upload sig, Rejection r,
                byte[] ct, byte[] sigBytes) {
            try {
                record(dir, name, age, sig, r, ct, sigBytes);
            } catch (IOException e) {
                fail(name, "cannot be quarantined", e);
            }
        }

        /** Refuses an upload; with {@code keep}, what it holds (read within its cap) goes to quarantine too. */
        void refuse(SecureDirectoryStream<Path> dir, String name, Upload age, Upload sig, Rejection r, boolean keep)
                throws IOException {
            byte[] sigBytes = keep && sig != null ? readCapped(dir, sig.name(), Bundle.MAX_SIG_BYTES) : null;
            byte[] ct = keep && age != null ? readCapped(dir, age.name(), trust.maxBytes()) : null;
            record(dir, name, age, sig, r, ct, sigBytes);
        }

        private void record(SecureDirectoryStream<Path> dir, String name, Upload age, Upload sig, Rejection r, byte[] ct,
                byte[] sigBytes) throws IOException {
            List<BundleStore.Piece> pieces = new ArrayList<>();
            if (age != null) {
                pieces.add(new BundleStore.Piece(Bundle.AGE, age.attrs().size(), ct));
            }
            if (sig != null) {
                pieces.add(new BundleStore.Piece(Bundle.SIG, sig.attrs().size(), sigBytes));
            }
            Path reason = store.quarantine(name, r, pieces);
            for (Upload u : new Upload[] {age, sig}) {
                if (u != null) {
                    FileTrees.deleteIn(dir, u.name());
                }
            }
            rejected.add(Bundle.shown(name) + ": " + r.reason());
            LOG.error("validator {}: bundle {} REJECTED ({}): {}; quarantined as {}", config.validator(), Bundle.shown(name),
                    r.reason(), r.getMessage(), reason.getFileName());
        }

        private void fail(String name, String what, IOException e) {
            failures.add(Bundle.shown(name) + ": " + what + ": " + Failures.describe(e));
            LOG.error("validator {}: upload {} {} ({}); it stays in {}, the next uploads are still taken", config.validator(),
                    Bundle.shown(name), what, Failures.describe(e), in);
        }

        private int links(Path name) throws IOException {
            return (Integer) Files.getAttribute(in.resolve(name), "unix:nlink", LinkOption.NOFOLLOW_LINKS);
        }
    }

    /** Reads at most {@code cap} bytes of a regular file, never through a link; more than that is an error. */
    static byte[] readCapped(SecureDirectoryStream<Path> dir, Path name, long cap) throws IOException {
        try (SeekableByteChannel ch = dir.newByteChannel(name, Set.of(StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS))) {
            return FileTrees.readCapped(ch, name, cap);
        }
    }
}
