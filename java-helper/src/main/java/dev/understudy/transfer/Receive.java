package dev.understudy.transfer;

import dev.understudy.bundle.Bundle;
import dev.understudy.bundle.BundleStore;
import dev.understudy.bundle.Rejection;
import dev.understudy.cli.BadInputException;
import dev.understudy.config.Config;
import dev.understudy.config.HostEntry;
import dev.understudy.identity.AgeIdentity;
import dev.understudy.identity.IdentityStore;
import dev.understudy.identity.VerifyKey;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
        this.store = new BundleStore(config.stateDir(), config.sync().keepBundles());
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
        if (!Files.isDirectory(in)) {
            throw new BadInputException(config.source() + ": sync.incoming_dir " + in + " does not exist");
        }
        Bundle.Trust trust = trust();
        List<String> accepted = new ArrayList<>();
        List<String> rejected = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        List<Path> sigs = new ArrayList<>();
        List<Path> ages = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(in)) {
            for (Path p : ds) {
                String n = p.getFileName().toString();
                if (n.startsWith(".")) {
                    if (n.startsWith(".tmp-") && olderThan(p, STALE_TEMP_AFTER)) {
                        Files.deleteIfExists(p);
                        LOG.warn("validator {}: removed a partial upload left for over an hour: {}", config.validator(), n);
                    }
                } else if (n.endsWith(Bundle.SIG)) {
                    sigs.add(p);
                } else if (n.endsWith(Bundle.AGE)) {
                    ages.add(p);
                } else {
                    reject(n, null, p, new Rejection(Rejection.Reason.MALFORMED, n + ": not a bundle file (.age/.sig)"), rejected);
                }
            }
        }
        sigs.sort(null);
        for (Path sig : sigs) {
            String name = strip(sig, Bundle.SIG);
            Path age = in.resolve(name + Bundle.AGE);
            ages.remove(age);
            String src = "bundle " + name;
            if (!Files.exists(age)) {
                reject(name, null, sig, new Rejection(Rejection.Reason.INCOMPLETE, src + ": signature without its ciphertext "
                        + name + Bundle.AGE), rejected);
                continue;
            }
            if (Files.size(age) > trust.maxBytes()) {
                reject(name, age, sig, new Rejection(Rejection.Reason.OVERSIZED, src + ": ciphertext is " + Files.size(age)
                        + " bytes, more than sync.max_bundle_bytes " + trust.maxBytes()), rejected);
                continue;
            }
            byte[] sigBytes;
            byte[] ct;
            try {
                sigBytes = Files.readAllBytes(sig);
                ct = Files.readAllBytes(age);
            } catch (IOException e) {
                // an unreadable upload (wrong owner or mode) stays where it is for the operator; it must not hold
                // up the bundles behind it
                failures.add(name + ": cannot read: " + e.getMessage());
                LOG.error("validator {}: bundle {} cannot be read ({}: {}); it stays in {}, the next bundles are still taken",
                        config.validator(), name, e.getClass().getSimpleName(), e.getMessage(), in);
                continue;
            }
            Bundle.Opened opened;
            try {
                opened = Bundle.open(sigBytes, ct, trust, src);
            } catch (Rejection r) {
                reject(name, age, sig, r, rejected);
                continue;
            }
            try {
                AgeIdentity opener = Bundle.opener(ct, trust.identities(), trust.maxBytes());
                BundleStore.Entry e = store.accept(opened, ct, sigBytes, opener);
                trust.lastAccepted().put(e.source(), e.seq());
                Files.deleteIfExists(sig);
                Files.deleteIfExists(age);
                accepted.add(e.name());
                LOG.info("validator {}: bundle {} from {} accepted: seq {}, epoch {}, periods {}, {} files", config.validator(),
                        e.name(), e.source(), e.seq(), e.epoch(), e.periods().stream().map(p -> p.period()).toList(), e.files());
            } catch (IOException e) {
                failures.add(name + ": " + e.getMessage());
                LOG.error("validator {}: bundle {} verified but NOT stored: {}; it stays in {} and the last good bundle is"
                        + " untouched", config.validator(), name, e.getMessage(), in);
            }
        }
        for (Path age : ages) {
            if (olderThan(age, INCOMPLETE_AFTER)) {
                String name = strip(age, Bundle.AGE);
                reject(name, age, null, new Rejection(Rejection.Reason.INCOMPLETE, "bundle " + name
                        + ": ciphertext without a signature for over 10 minutes"), rejected);
            }
        }
        return new Result(accepted, rejected, failures);
    }

    private void reject(String name, Path age, Path sig, Rejection r, List<String> rejected) throws IOException {
        Path reason = store.quarantine(name, age, sig, r);
        rejected.add(name + ": " + r.reason());
        LOG.error("validator {}: bundle {} REJECTED ({}): {}; quarantined as {}", config.validator(), name, r.reason(),
                r.getMessage(), reason.getFileName());
    }

    private static String strip(Path p, String suffix) {
        String n = p.getFileName().toString();
        return n.substring(0, n.length() - suffix.length());
    }

    private static boolean olderThan(Path p, Duration d) throws IOException {
        FileTime t = Files.getLastModifiedTime(p);
        return t.toInstant().isBefore(Instant.now().minus(d));
    }
}
