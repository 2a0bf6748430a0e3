package dev.understudy.coordination;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.understudy.cli.BadInputException;
import dev.understudy.common.Json;
import dev.understudy.config.Config;
import dev.understudy.config.HostEntry;
import dev.understudy.config.LiveConfig;
import dev.understudy.identity.IdentityStore;
import dev.understudy.identity.VerifyKey;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The release record's proof: a holder signs its record with its host identity's Ed25519 key (the one that signs its
 * bundles), and a standby accepts a record only when it verifies against that host's verify keys in the config. So a
 * record cannot be forged by anyone who can write to etcd — an etcd majority in an attacker's hands, or an operator's
 * slip with the root user — only by the host that held the role.
 */
final class ReleaseProof implements Snapshot.ReleaseCheck {
    private static final Logger LOG = LogManager.getLogger(ReleaseProof.class);
    private final String validator;
    private final Path identityDir;
    private final Function<String, List<VerifyKey>> keysOf;
    /** The last record looked at and whether it verified: the record stays in etcd, and a tick reads it every time. */
    private String checked;
    private boolean checkedOk;

    ReleaseProof(String validator, Path identityDir, Function<String, List<VerifyKey>> keysOf) {
        this.validator = validator;
        this.identityDir = identityDir;
        this.keysOf = keysOf;
    }

    /** The agent's: signs with this host's identity; verifies with the verify keys of the config file as it is now. */
    static ReleaseProof of(Config config) {
        return new ReleaseProof(config.validator(), config.identityDir(), liveKeys(config));
    }

    /** A host's verify keys in the config file as it is now (none, logged, when it cannot be read). */
    static Function<String, List<VerifyKey>> liveKeys(Config config) {
        LiveConfig live = new LiveConfig(config.source());
        return host -> {
            try {
                HostEntry h = live.current().hosts().get(host);
                return h == null ? List.of() : h.verifyKeys();
            } catch (BadInputException | IOException e) {
                LOG.warn("validator {}: cannot read the verify keys of {}: {}", config.validator(), host, e.getMessage());
                return List.of();
            }
        };
    }

    static byte[] message(String validator, long epoch, String host, long lastSignedRound, long atMs) {
        return ("understudy-release\n" + validator + "\n" + epoch + "\n" + host + "\n" + lastSignedRound + "\n" + atMs)
                .getBytes(StandardCharsets.UTF_8);
    }

    /** The record this host writes when it releases {@code epoch}, signed. */
    String record(String host, long epoch, long lastSignedRound, long atMs) throws IOException, BadInputException {
        byte[] sig = new IdentityStore(identityDir).current().signing().sign(message(validator, epoch, host, lastSignedRound, atMs));
        try {
            return Json.MAPPER.writeValueAsString(Json.object().put("epoch", epoch).put("host", host)
                    .put("lastSignedRound", lastSignedRound).put("atMs", atMs)
                    .put("signature", Base64.getEncoder().encodeToString(sig)));
        } catch (JsonProcessingException e) {
            throw new IOException("encoding the release record: " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized boolean verified(Snapshot.Released r, String signature) {
        String key = r + "|" + signature;
        if (key.equals(checked)) {
            return checkedOk;
        }
        boolean ok = false;
        try {
            byte[] sig = Base64.getDecoder().decode(signature);
            byte[] msg = message(validator, r.epoch(), r.host(), r.lastSignedRound(), r.atMs());
            for (VerifyKey k : keysOf.apply(r.host())) {
                ok |= k.verify(msg, sig);
            }
        } catch (IllegalArgumentException e) {
            ok = false;
        }
        if (!ok) {
            LOG.warn("validator {}: the release record of epoch {} does not verify against {}'s keys: not a proof (a standby waits"
                    + " for the chain instead)", validator, r.epoch(), r.host());
        }
        checked = key;
        checkedOk = ok;
        return ok;
    }

    /** For tests: a proof over fixed keys per host. */
    static ReleaseProof over(String validator, Path identityDir, Map<String, List<VerifyKey>> keys) {
        return new ReleaseProof(validator, identityDir, h -> keys.getOrDefault(h, List.of()));
    }
}
