package dev.understudy.simnet.node;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.understudy.simnet.AtomicFiles;
import dev.understudy.simnet.BadInputException;
import dev.understudy.simnet.Ed25519;
import dev.understudy.simnet.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A node's home directory, shaped after a TON node's database directory:
 * <pre>
 *   config.json        validator name, chain id, and validators[] entries (period, key id, election date, expiry)
 *   keyring/KEYID      4-byte type prefix + 32-byte ed25519 private key, mode 0600, named by the key id
 *   wallet.pk          the validator wallet's key (same format), needed to bid in elections
 *   state.json         whether validation and election duty are enabled (persists across restarts)
 *   fence.json         the highest signing-role epoch this node has seen (an activation's or a vote's on the chain);
 *                      the guard's rewrite of state.json leaves it alone, so it survives restarts and reboots
 * </pre>
 * Every write is temp file + fsync + rename.
 */
public final class NodeHome {
    public static final String CONFIG = "config.json";
    public static final String STATE = "state.json";
    public static final String FENCE = "fence.json";
    public static final String WALLET = "wallet.pk";
    public static final String KEYRING = "keyring";

    /** One validators[] entry of config.json. */
    public record KeyEntry(long period, String keyId, long electionRound, long expireAt) {
        ObjectNode json() {
            ObjectNode n = Json.object();
            n.put("@type", "engine.validator");
            n.put("id", keyId);
            n.put("period", period);
            n.put("election_date", electionRound);
            n.put("expire_at", expireAt);
            return n;
        }
    }

    private final Path dir;
    private final String validator;
    private String chainId;
    private final List<KeyEntry> entries = new ArrayList<>();
    private final Map<String, Ed25519> keyCache = new HashMap<>();
    private boolean validation;
    private boolean elections;
    private long highestEpoch;

    private NodeHome(Path dir, String validator) {
        this.dir = dir;
        this.validator = validator;
    }

    /**
     * Opens HOME, creating it for this validator when empty. The two defaults apply only when HOME has
     * no state.json yet; afterwards the persisted state (changed through the console) rules. With
     * {@code electionsDefault} (--participate) a missing wallet is created.
     */
    public static NodeHome open(Path dir, String validator, boolean validateDefault, boolean electionsDefault)
            throws IOException, BadInputException {
        Objects.requireNonNull(validator, "validator name required");
        Files.createDirectories(dir.resolve(KEYRING));
        Files.setPosixFilePermissions(dir.resolve(KEYRING), PosixFilePermissions.fromString("rwx------"));
        NodeHome h = new NodeHome(dir, validator);
        Path config = dir.resolve(CONFIG);
        if (Files.exists(config)) {
            h.readConfig(Files.readAllBytes(config), config.toString());
        } else {
            h.writeConfig();
        }
        Path state = dir.resolve(STATE);
        if (Files.exists(state)) {
            JsonNode s = Json.parseObject(Files.readAllBytes(state), state.toString());
            h.validation = Json.bool(s, "validation", state.toString());
            h.elections = Json.bool(s, "elections", state.toString());
        } else {
            h.validation = validateDefault;
            h.elections = electionsDefault;
            h.writeState();
        }
        Path fence = dir.resolve(FENCE);
        if (Files.exists(fence)) {
            h.highestEpoch = Json.integer(Json.parseObject(Files.readAllBytes(fence), fence.toString()), "highestEpoch", fence.toString());
        }
        // The node started with --participate is the validator's home node: it owns the wallet. (A state.json
        // written before the first start, by a guard, does not change that.)
        if (electionsDefault && !Files.exists(dir.resolve(WALLET))) {
            AtomicFiles.write(dir.resolve(WALLET), Ed25519.generate().keyringFile());
        }
        return h;
    }

    private void readConfig(byte[] bytes, String source) throws BadInputException {
        JsonNode c = Json.parseObject(bytes, source);
        String name = Json.text(c, "validator", source);
        if (!name.equals(validator)) {
            throw new BadInputException(source + ": HOME belongs to validator '" + name + "', not '" + validator + "'");
        }
        chainId = c.hasNonNull("chainId") ? Json.text(c, "chainId", source) : null;
        entries.clear();
        JsonNode list = c.get("validators");
        if (list == null || !list.isArray()) {
            throw new BadInputException(source + ": field 'validators' is required (array)");
        }
        int i = 0;
        for (JsonNode e : list) {
            String src = source + " validators[" + i++ + "]";
            entries.add(new KeyEntry(Json.integer(e, "period", src), Json.text(e, "id", src),
                    Json.integer(e, "election_date", src), Json.integer(e, "expire_at", src)));
        }
    }

    private void writeConfig() throws IOException {
        ObjectNode c = Json.object();
        c.put("@type", "simnet.node.config");
        c.put("validator", validator);
        c.put("chainId", chainId);
        ArrayNode list = c.putArray("validators");
        entries.forEach(e -> list.add(e.json()));
        AtomicFiles.write(dir.resolve(CONFIG), Json.pretty(c));
    }

    private void writeState() throws IOException {
        ObjectNode s = Json.object();
        s.put("validation", validation);
        s.put("elections", elections);
        AtomicFiles.write(dir.resolve(STATE), Json.pretty(s));
    }

    public Path dir() {
        return dir;
    }

    public String validator() {
        return validator;
    }

    public synchronized String chainId() {
        return chainId;
    }

    /** Binds HOME to a chain on first contact; a HOME made for another chain is refused. */
    public synchronized void bindChain(String id) throws IOException, BadInputException {
        if (chainId == null) {
            chainId = id;
            writeConfig();
        } else if (!chainId.equals(id)) {
            throw new BadInputException(dir.resolve(CONFIG) + ": HOME belongs to chain " + chainId
                    + " but the chain answering is " + id + "; use a fresh --home for a new chain");
        }
    }

    public synchronized boolean validation() {
        return validation;
    }

    public synchronized boolean elections() {
        return elections;
    }

    public synchronized void setValidation(boolean enabled) throws IOException {
        validation = enabled;
        writeState();
    }

    /** The highest signing-role epoch this node has seen (0: none). */
    public synchronized long highestEpoch() {
        return highestEpoch;
    }

    /** Records an epoch seen; true when it is higher than any before (then it is on disk before this returns). */
    public synchronized boolean raiseEpoch(long epoch) throws IOException {
        if (epoch <= highestEpoch) {
            return false;
        }
        highestEpoch = epoch;
        ObjectNode f = Json.object();
        f.put("highestEpoch", epoch);
        AtomicFiles.write(dir.resolve(FENCE), Json.pretty(f));
        return true;
    }

    public synchronized void setElections(boolean enabled) throws IOException {
        elections = enabled;
        writeState();
    }

    public synchronized List<KeyEntry> keys() {
        return List.copyOf(entries);
    }

    /** The key this node holds for a period, or null. */
    public synchronized Ed25519 keyFor(long period) throws IOException, BadInputException {
        for (KeyEntry e : entries) {
            if (e.period() == period) {
                return load(e.keyId());
            }
        }
        return null;
    }

    private Ed25519 load(String keyId) throws IOException, BadInputException {
        Ed25519 k = keyCache.get(keyId);
        if (k == null) {
            Path f = dir.resolve(KEYRING).resolve(keyId);
            if (!Files.exists(f)) {
                throw new BadInputException(dir.resolve(CONFIG) + " names key " + keyId + " but " + f + " is missing");
            }
            k = Ed25519.fromKeyringFile(Files.readAllBytes(f), f.toString());
            if (!k.keyId().equals(keyId)) {
                throw new BadInputException(f + ": holds key " + k.keyId() + ", not the key its name says");
            }
            keyCache.put(keyId, k);
        }
        return k;
    }

    /** Stores a new key: keyring file first, then the config entry that names it. */
    public synchronized void addKey(Ed25519 key, long period, long electionRound, long expireAt) throws IOException {
        AtomicFiles.write(dir.resolve(KEYRING).resolve(key.keyId()), key.keyringFile());
        entries.removeIf(e -> e.period() == period);
        entries.add(new KeyEntry(period, key.keyId(), electionRound, expireAt));
        entries.sort((a, b) -> Long.compare(a.period(), b.period()));
        keyCache.put(key.keyId(), key);
        writeConfig();
    }

    public synchronized Ed25519 wallet() throws IOException, BadInputException {
        Path f = dir.resolve(WALLET);
        return Files.exists(f) ? Ed25519.fromKeyringFile(Files.readAllBytes(f), f.toString()) : null;
    }

    /**
     * Imports keys exported from another node of the same validator: DIR holds config.json, keyring/ and
     * optionally wallet.pk. Entries for periods this HOME already holds with another key are replaced.
     * Everything is checked before anything is written.
     */
    public synchronized ObjectNode importKeys(Path src) throws IOException, BadInputException {
        Path cfg = src.resolve(CONFIG);
        if (!Files.exists(cfg)) {
            throw new BadInputException(src + ": no " + CONFIG + " to import");
        }
        NodeHome other = new NodeHome(src, validator);
        other.readConfig(Files.readAllBytes(cfg), cfg.toString());
        if (other.chainId != null && chainId != null && !other.chainId.equals(chainId)) {
            throw new BadInputException(cfg + ": keys are for chain " + other.chainId + ", this node is on " + chainId);
        }
        List<Ed25519> keys = new ArrayList<>();
        for (KeyEntry e : other.entries) {
            keys.add(other.load(e.keyId()));
        }
        Ed25519 otherWallet = other.wallet();
        Ed25519 ownWallet = wallet();
        if (otherWallet != null && ownWallet != null && !otherWallet.keyId().equals(ownWallet.keyId())) {
            throw new BadInputException(src.resolve(WALLET) + ": wallet differs from this HOME's wallet; refusing to replace it");
        }
        if (otherWallet != null && ownWallet == null) {
            AtomicFiles.write(dir.resolve(WALLET), otherWallet.keyringFile());
        }
        ArrayNode imported = Json.MAPPER.createArrayNode();
        for (int i = 0; i < keys.size(); i++) {
            KeyEntry e = other.entries.get(i);
            addKey(keys.get(i), e.period(), e.electionRound(), e.expireAt());
            imported.addObject().put("period", e.period()).put("keyId", e.keyId());
        }
        ObjectNode res = Json.object();
        res.set("imported", imported);
        res.put("wallet", otherWallet != null);
        return res;
    }
}
