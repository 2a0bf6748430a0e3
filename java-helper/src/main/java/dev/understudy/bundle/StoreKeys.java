package dev.understudy.bundle;

import dev.understudy.cli.BadInputException;
import dev.understudy.common.AtomicFiles;
import dev.understudy.common.FileTrees;
import dev.understudy.config.Config;
import dev.understudy.identity.IdentityStore;
import dev.understudy.node.KeyFile;
import dev.understudy.node.NodeAdapter;
import dev.understudy.node.NodeException;
import dev.understudy.node.PeriodKeys;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/** The production {@link Keys}: the node's own keys, else the newest verified bundle, decrypted only to install it. */
public final class StoreKeys implements Keys {
    private static final Logger LOG = LogManager.getLogger(StoreKeys.class);
    private final Config config;
    private final NodeAdapter node;
    private final BundleStore store;
    private final IdentityStore ids;

    public StoreKeys(Config config, NodeAdapter node) {
        this.config = config;
        this.node = node;
        this.store = BundleStore.of(config);
        this.ids = new IdentityStore(config.identityDir());
    }

    /** The bundle to install for the period, or null to sign with the node's own keys. */
    private BundleStore.Entry newer(long period, List<String> nodeIds, long heldBefore) throws IOException, BadInputException {
        BundleStore.Entry e = store.latestFor(period);
        if (e == null) {
            return null;
        }
        return wanted(e, period, nodeIds, heldBefore) ? e : null;
    }

    /**
     * Whether a bundle's keys should replace the node's for the period: the node has none, or the bundle was made
     * under a later epoch than this host last held the role and holds keys the node lacks.
     */
    private static boolean wanted(BundleStore.Entry e, long period, List<String> nodeIds, long heldBefore) {
        if (nodeIds.isEmpty()) {
            return true;
        }
        boolean later = heldBefore >= 0 && e.epoch() > heldBefore;
        return later && !new HashSet<>(nodeIds).containsAll(idsOf(e.periods(), period));
    }

    @Override
    public Map<Long, List<String>> signingIds(List<Long> periods, long heldBefore) throws IOException, BadInputException, NodeException {
        List<PeriodKeys> held = node.keyFiles().periods();
        Map<Long, List<String>> out = new TreeMap<>();
        for (long period : periods) {
            List<String> nodeIds = idsOf(held, period);
            BundleStore.Entry e = newer(period, nodeIds, heldBefore);
            out.put(period, e == null ? nodeIds : idsOf(e.periods(), period));
        }
        return out;
    }

    @Override
    public void ensureInstalled(long period, long heldBefore) throws IOException, BadInputException, NodeException {
        List<String> nodeIds = idsOf(node.keyFiles().periods(), period);
        BundleStore.Entry e = newer(period, nodeIds, heldBefore);
        if (e == null) {
            return;
        }
        if (!nodeIds.isEmpty()) {
            LOG.warn("validator {} on {}: the node's keys {} for period {} predate bundle {} (epoch {}, after this host last held"
                    + " the role at epoch {}); installing the bundle's", config.validator(), config.host(), nodeIds, period, e.name(),
                    e.epoch(), heldBefore);
        }
        Bundle.Opened o = null;
        Exception first = null;
        // the newest bundle first; if it no longer opens (damaged on disk), the newest older one that does and
        // would have been chosen the same way
        for (BundleStore.Entry c : store.coveringNewestFirst(period)) {
            if (!c.name().equals(e.name()) && !wanted(c, period, nodeIds, heldBefore)) {
                continue;
            }
            try {
                BundleStore.Stored b = store.read(c);
                o = Bundle.reopen(b.signature(), b.ciphertext(), b.entry().sha256(), ids.decryptionIdentities(),
                        config.sync().maxBundleBytes(), c.name());
                if (!c.name().equals(e.name())) {
                    LOG.error("validator {} on {}: bundle {} does not open ({}); installing the older bundle {} instead",
                            config.validator(), config.host(), e.name(), first.getMessage(), c.name());
                }
                e = c;
                break;
            } catch (Rejection | IOException r) {
                LOG.error("validator {} on {}: stored bundle {} does not open: {}", config.validator(), config.host(), c.name(),
                        r.getMessage());
                first = first == null ? r : first;
            }
        }
        if (o == null) {
            if (first instanceof IOException io) {
                throw io;
            }
            throw first instanceof Rejection r ? r : new Rejection(Rejection.Reason.MALFORMED, "no stored bundle covers period " + period);
        }
        Path dir = config.stateDir().resolve("install-" + e.seq());
        try {
            AtomicFiles.createPrivateDirectories(dir);
            for (KeyFile f : o.files().values()) {
                Path p = dir.resolve(f.path());
                AtomicFiles.createPrivateDirectories(p.getParent());
                AtomicFiles.write(p, f.content(), AtomicFiles.PRIVATE);
            }
            node.install(dir);
            LOG.warn("validator {} on {}: installed keys of {} (periods {}) into the node", config.validator(), config.host(), e.name(),
                    e.periods().stream().map(PeriodKeys::period).toList());
        } finally {
            FileTrees.delete(dir);
        }
    }

    private static List<String> idsOf(List<PeriodKeys> periods, long period) {
        return periods.stream().filter(p -> p.period() == period).flatMap(p -> p.keyIds().stream()).toList();
    }
}
