package dev.understudy.bundle;

import dev.understudy.cli.BadInputException;
import dev.understudy.identity.AgeIdentity;
import dev.understudy.identity.IdentityStore;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Rebuilds a lost or damaged {@code index.json} from the stored files themselves: each {@code NAME.sig} with its
 * ciphertext ({@code NAME.age}, or {@code NAME.r*.age} after a key rotation) is decrypted in memory and checked
 * like an activation would (manifest against the signed header, every file's hash); a ciphertext under its
 * original name must still have the hash the signed header gives. What does not check out is left out and named
 * in the log. The last accepted sequence per source is the highest of the rebuilt entries and the store's
 * high-water mark, so a rebuild never reopens the door to a replay.
 */
final class IndexRebuild {
    private static final Logger LOG = LogManager.getLogger(IndexRebuild.class);
    private final Path dir;
    private final IdentityStore identities;
    private final long maxBytes;

    IndexRebuild(Path dir, IdentityStore identities, long maxBytes) {
        this.dir = dir;
        this.identities = identities;
        this.maxBytes = maxBytes;
    }

    BundleStore.Index rebuild(Map<String, Long> highWater) throws IOException, BadInputException {
        List<AgeIdentity> ids = identities.decryptionIdentities();
        List<BundleStore.Entry> entries = new ArrayList<>();
        Map<String, Long> last = new TreeMap<>(highWater);
        List<Path> sigs = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*" + Bundle.SIG)) {
            ds.forEach(sigs::add);
        }
        for (Path sig : sigs) {
            String name = sig.getFileName().toString();
            name = name.substring(0, name.length() - Bundle.SIG.length());
            Path age = ciphertextOf(name);
            if (age == null || !Files.isRegularFile(sig, LinkOption.NOFOLLOW_LINKS)) {
                LOG.error("bundle store {}: {} has no ciphertext beside it; left out of the rebuilt index", dir, name);
                continue;
            }
            try {
                byte[] s = Files.readAllBytes(sig);
                byte[] ct = Files.readAllBytes(age);
                Bundle.Header h = Bundle.header(s, name);
                String sha = Manifest.sha256(ct);
                if (age.getFileName().toString().equals(name + Bundle.AGE) && !sha.equals(h.sha256())) {
                    throw new Rejection(Rejection.Reason.TAMPERED, name + ": ciphertext does not match its signed header");
                }
                Bundle.Opened o = Bundle.reopen(s, ct, sha, ids, maxBytes, name);
                AgeIdentity opener = Bundle.opener(ct, ids, maxBytes);
                entries.add(new BundleStore.Entry(name, age.getFileName().toString(), h.source(), h.seq(), h.epoch(), h.created(),
                        Files.getLastModifiedTime(age).toInstant().toString(), o.manifest().periods(), o.files().size(), sha,
                        ct.length, opener == null ? "" : opener.recipient()));
                last.merge(h.source(), h.seq(), Math::max);
            } catch (Rejection e) {
                LOG.error("bundle store {}: {} left out of the rebuilt index: {}", dir, name, e.getMessage());
            }
        }
        entries.sort(Comparator.comparing(BundleStore.Entry::receivedAt).thenComparing(BundleStore.Entry::seq));
        return new BundleStore.Index(entries, last);
    }

    /** NAME.age, else the newest NAME.r*.age a rotation wrote; null when there is none. */
    private Path ciphertextOf(String name) throws IOException {
        Path plain = dir.resolve(name + Bundle.AGE);
        if (Files.isRegularFile(plain, LinkOption.NOFOLLOW_LINKS)) {
            return plain;
        }
        List<Path> rotated = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, name + ".r*" + Bundle.AGE)) {
            ds.forEach(rotated::add);
        }
        rotated.removeIf(p -> !Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS));
        Path newest = null;
        for (Path p : rotated) {
            if (newest == null || Files.getLastModifiedTime(p).compareTo(Files.getLastModifiedTime(newest)) > 0) {
                newest = p;
            }
        }
        return newest;
    }
}
