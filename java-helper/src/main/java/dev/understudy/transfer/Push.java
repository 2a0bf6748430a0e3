package dev.understudy.transfer;

import dev.understudy.bundle.Bundle;
import dev.understudy.bundle.Manifest;
import dev.understudy.cli.BadInputException;
import dev.understudy.config.Config;
import dev.understudy.config.HostEntry;
import dev.understudy.coordination.LocalRole;
import dev.understudy.identity.IdentityStore;
import dev.understudy.node.KeySet;
import dev.understudy.node.NodeAdapter;
import dev.understudy.node.NodeException;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * One push: when the node's key set changed since the last delivery to a peer (or when forced), seal a bundle
 * encrypted to every peer and signed by this host, and upload it to each peer that lacks it. Used by
 * {@code sync push} and by the agent.
 */
public final class Push {
    private static final Logger LOG = LogManager.getLogger(Push.class);

    /** What a push did: the bundle (if one was made), the peers it reached and the failures. */
    public record Result(String bundle, List<String> delivered, List<SftpUploader.UploadException> failures, boolean upToDate,
            String skipped) {
    }

    private final Config config;
    private final NodeAdapter node;
    private final SftpUploader uploader;

    public Push(Config config, NodeAdapter node, SftpUploader uploader) {
        this.config = config;
        this.node = node;
        this.uploader = uploader;
    }

    public static SftpUploader uploader(Config c) {
        return new SftpUploader(c.sync().sshKey(), c.sync().knownHosts(), c.sync().connectTimeoutMs(), c.sync().timeoutMs());
    }

    public Result run(boolean force) throws IOException, BadInputException, NodeException {
        LocalRole role = LocalRole.read(config.stateDir());
        boolean mainBeforeAgent = !role.known() && config.self().role() == HostEntry.Role.MAIN;
        if (!role.holder() && !mainBeforeAgent) {
            return new Result(null, List.of(), List.of(), false, "this host does not hold the signing role");
        }
        List<HostEntry> targets = new ArrayList<>();
        for (HostEntry p : config.peers()) {
            if (p.drop() != null) {
                targets.add(p);
            }
        }
        if (targets.isEmpty()) {
            throw new BadInputException(config.source() + ": no peer has a drop account (hosts.*.drop); nowhere to push");
        }
        KeySet keys = node.keyFiles();
        if (keys.periods().isEmpty()) {
            return new Result(null, List.of(), List.of(), false, "the node holds no keys for the current or next period");
        }
        String fp = fingerprint(node.kind(), keys);
        PushState state = PushState.read(config.stateDir());
        List<HostEntry> needing = new ArrayList<>();
        for (HostEntry t : targets) {
            PushState.Delivered d = state.delivered.get(t.name());
            if (force || d == null || !d.fingerprint().equals(fp)) {
                needing.add(t);
            }
        }
        if (needing.isEmpty()) {
            return new Result(null, List.of(), List.of(), true, null);
        }
        long seq = Math.max(state.lastSeq + 1, System.currentTimeMillis());
        state.lastSeq = seq;
        state.write(config.stateDir());
        Set<String> recipients = new LinkedHashSet<>();
        for (HostEntry p : config.peers()) {
            recipients.addAll(p.recipients());
        }
        Manifest m = new Manifest(config.validator(), config.host(), seq, role.epoch(), Instant.now().toString(), node.kind(),
                keys.periods(), Manifest.describe(keys.files()));
        Bundle.Sealed sealed = Bundle.seal(m, keys.files(), List.copyOf(recipients),
                new IdentityStore(config.identityDir()).current().signing());
        List<String> ok = new ArrayList<>();
        List<SftpUploader.UploadException> failed = new ArrayList<>();
        for (HostEntry t : needing) {
            long t0 = System.nanoTime();
            try {
                HostEntry.Drop d = t.drop();
                uploader.upload(new SftpUploader.Target(t.name(), t.address(), d.port(), d.user(), d.dir()), sealed);
                state.delivered.put(t.name(), new PushState.Delivered(fp, seq, Instant.now().toString()));
                state.write(config.stateDir());
                ok.add(t.name());
                LOG.info("validator {}: bundle {} (periods {}, {} files, {} bytes) delivered to {} in {} ms", config.validator(),
                        sealed.name(), keys.periods().stream().map(p -> p.period()).toList(), keys.files().size(),
                        sealed.ciphertext().length, t.name(), (System.nanoTime() - t0) / 1_000_000);
            } catch (SftpUploader.UploadException e) {
                failed.add(e);
                LOG.error("validator {}: bundle {} NOT delivered to {}: {}", config.validator(), sealed.name(), t.name(),
                        e.getMessage());
            }
        }
        return new Result(sealed.name(), ok, failed, false, null);
    }

    /**
     * What a delivery is recorded with: the key set and the adapter that made it, since the layout of a bundle's
     * files is the adapter's (a host switched to another adapter pushes again at once).
     */
    static String fingerprint(String adapter, KeySet keys) {
        return adapter + ":" + keys.fingerprint();
    }
}
