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
import java.time.Duration;
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
        List<String> awaiting = new ArrayList<>();
        for (HostEntry t : targets) {
            PushState.Delivered d = state.delivered.get(t.name());
            if (force || d == null || !d.fingerprint().equals(fp)) {
                needing.add(t);
            } else if (!d.acked() || state.refused.containsKey(t.name())) {
                // unacknowledged, or its host key refused: read its acknowledgement (which checks the host key again)
                switch (acknowledgement(t, d, state)) {
                    case ACCEPTED -> { }
                    case SEND_AGAIN -> needing.add(t);
                    case WAITING -> awaiting.add(t.name());
                }
            }
        }
        if (needing.isEmpty()) {
            return awaiting.isEmpty() ? new Result(null, List.of(), List.of(), true, null)
                    : new Result(null, List.of(), List.of(), false, "waiting for " + String.join(", ", awaiting)
                            + " to acknowledge the last bundle");
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
                uploader.upload(target(t), sealed);
                state.delivered.put(t.name(), new PushState.Delivered(fp, seq, Instant.now().toString(), sealed.name(), false));
                state.refused.remove(t.name());
                state.write(config.stateDir());
                ok.add(t.name());
                LOG.info("validator {}: bundle {} (periods {}, {} files, {} bytes) delivered to {} in {} ms", config.validator(),
                        sealed.name(), keys.periods().stream().map(p -> p.period()).toList(), keys.files().size(),
                        sealed.ciphertext().length, t.name(), (System.nanoTime() - t0) / 1_000_000);
            } catch (SftpUploader.UploadException e) {
                refusedIfHostKey(state, t, e);
                failed.add(e);
                LOG.error("validator {}: bundle {} NOT delivered to {}: {}", config.validator(), sealed.name(), t.name(),
                        e.getMessage());
            }
        }
        return new Result(sealed.name(), ok, failed, false, null);
    }

    /** How long a delivered bundle may go unacknowledged before it is sent again (receive runs within 10 s). */
    static final Duration ACK_WAIT = Duration.ofSeconds(60);
    /** How soon a bundle the peer refused is followed by a new one (a refusal that persists is not a storm). */
    static final Duration REFUSED_RETRY = Duration.ofSeconds(10);

    private enum AckState { ACCEPTED, SEND_AGAIN, WAITING }

    /**
     * Reads the peer's signed acknowledgement: accepted (recorded, nothing to send), refused (send the key set
     * again as a new bundle, after {@link #REFUSED_RETRY}), or not yet known (send again after {@link #ACK_WAIT}).
     * An acknowledgement that cannot be read or trusted counts as none.
     */
    private AckState acknowledgement(HostEntry t, PushState.Delivered d, PushState state) throws IOException {
        Duration since;
        try {
            since = Duration.between(Instant.parse(d.at()), Instant.now());
        } catch (java.time.format.DateTimeParseException e) {
            since = ACK_WAIT; // a delivery time nobody can read is treated as long past
        }
        String path = ackPath(t.drop().dir(), config.host());
        String src = t.name() + ":" + path;
        try {
            byte[] file = uploader.read(target(t), path, Ack.MAX_BYTES);
            if (state.refused.remove(t.name()) != null) {
                state.write(config.stateDir());
                LOG.info("validator {}: {}'s host key is the pinned one again", config.validator(), t.name());
            }
            if (file != null) {
                Ack a = Ack.verify(file, t.verifyKeys(), config.validator(), t.name(), config.host(), src);
                if (a.lastAccepted() >= d.seq()) {
                    state.delivered.put(t.name(), d.acknowledged());
                    state.write(config.stateDir());
                    LOG.info("validator {}: {} acknowledged bundle {} ({} ms after delivery)", config.validator(), t.name(),
                            d.bundle(), since.toMillis());
                    return AckState.ACCEPTED;
                }
                String why = a.refusal(d.bundle());
                if (why != null) {
                    if (since.compareTo(REFUSED_RETRY) < 0) {
                        return AckState.WAITING;
                    }
                    LOG.error("validator {}: {} REFUSED bundle {} ({}); sending the key set again as a new bundle",
                            config.validator(), t.name(), d.bundle(), why);
                    return AckState.SEND_AGAIN;
                }
            }
        } catch (SftpUploader.UploadException e) {
            refusedIfHostKey(state, t, e);
            LOG.warn("validator {}: cannot read {}'s acknowledgement: {}", config.validator(), t.name(), e.getMessage());
        } catch (BadInputException e) {
            LOG.error("validator {}: {}'s acknowledgement is not to be trusted: {}", config.validator(), t.name(),
                    e.getMessage());
        }
        if (since.compareTo(ACK_WAIT) < 0) {
            return AckState.WAITING;
        }
        LOG.warn("validator {}: {} has not acknowledged bundle {} within {} s; sending the key set again", config.validator(),
                t.name(), d.bundle(), ACK_WAIT.toSeconds());
        return AckState.SEND_AGAIN;
    }

    /**
     * Records that a peer's host key is unknown or changed, for the agent's status and the watchdog's
     * PUSH_REFUSED: keys stop flowing to that peer until an operator looks, and it may be a machine in the middle.
     */
    private void refusedIfHostKey(PushState state, HostEntry t, SftpUploader.UploadException e) throws IOException {
        if (e.kind() == SftpUploader.UploadException.Kind.HOST_KEY) {
            PushState.Refused was = state.refused.get(t.name());
            if (was == null || !was.message().equals(e.getMessage())) {
                state.refused.put(t.name(), new PushState.Refused(e.getMessage(), Instant.now().toString()));
                state.write(config.stateDir());
            }
        }
    }

    /**
     * The peers this host refuses to send keys to and why (its SSH host key), as the agent's status carries them;
     * empty when there are none or the push state cannot be read.
     */
    public static com.fasterxml.jackson.databind.node.ObjectNode refusals(java.nio.file.Path stateDir) {
        com.fasterxml.jackson.databind.node.ObjectNode out = dev.understudy.common.Json.object();
        try {
            PushState.read(stateDir).refused.forEach((peer, r) -> out.putObject(peer).put("message", r.message())
                    .put("at", r.at()));
        } catch (IOException | BadInputException e) {
            LOG.warn("cannot read the push state in {}: {}", stateDir, e.getMessage());
        }
        return out;
    }

    private static SftpUploader.Target target(HostEntry t) {
        HostEntry.Drop d = t.drop();
        return new SftpUploader.Target(t.name(), t.address(), d.port(), d.user(), d.dir());
    }

    /** A source's acknowledgement in a peer's drop: {@code acks/SOURCE.json} beside the incoming directory. */
    static String ackPath(String dropDir, String source) {
        String d = dropDir.endsWith("/") && dropDir.length() > 1 ? dropDir.substring(0, dropDir.length() - 1) : dropDir;
        int slash = d.lastIndexOf('/');
        String parent = slash < 0 ? "" : d.substring(0, slash + 1);
        return parent + "acks/" + source + ".json";
    }

    /**
     * What a delivery is recorded with: the key set and the adapter that made it, since the layout of a bundle's
     * files is the adapter's (a host switched to another adapter pushes again at once).
     */
    static String fingerprint(String adapter, KeySet keys) {
        return adapter + ":" + keys.fingerprint();
    }
}
