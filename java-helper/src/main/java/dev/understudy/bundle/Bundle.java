package dev.understudy.bundle;

import com.exceptionfactory.jagged.RecipientStanzaReader;
import com.exceptionfactory.jagged.RecipientStanzaWriter;
import com.exceptionfactory.jagged.framework.stream.StandardDecryptingChannelFactory;
import com.exceptionfactory.jagged.framework.stream.StandardEncryptingChannelFactory;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.understudy.cli.BadInputException;
import dev.understudy.common.Json;
import dev.understudy.identity.AgeIdentity;
import dev.understudy.identity.SigningKey;
import dev.understudy.identity.VerifyKey;
import dev.understudy.node.KeyFile;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A key bundle is two files: {@code NAME.age}, an age file (X25519, to every recipient) holding a ustar
 * archive of MANIFEST.json and the key files, and {@code NAME.sig}, a small JSON file holding the signed
 * header and an Ed25519 signature over {@code "understudy-bundle-v1\n" + header + "\n" + ciphertext}.
 * See docs/bundle-format.md.
 */
public final class Bundle {
    public static final String FORMAT = "understudy-bundle";
    public static final int VERSION = 1;
    public static final String AGE = ".age";
    public static final String SIG = ".sig";
    public static final int MAX_SIG_BYTES = 64 * 1024;
    private static final String SIGNED_PREFIX = "understudy-bundle-v1\n";

    private Bundle() {
    }

    /** A bundle ready to store or upload. */
    public record Sealed(String name, byte[] ciphertext, byte[] signature) {
    }

    /** The signed header (cleartext): enough to route and check a bundle before decrypting it. */
    public record Header(String validator, String source, long seq, long epoch, String created, List<String> recipients,
            long size, String sha256) {
    }

    /** A verified and decrypted bundle; {@code files} by their path in the manifest. */
    public record Opened(Header header, Manifest manifest, Map<String, KeyFile> files) {
    }

    /** What a receiver trusts and holds. */
    public record Trust(String validator, String self, Map<String, List<VerifyKey>> signers, Set<String> ownRecipients,
            List<AgeIdentity> identities, Map<String, Long> lastAccepted, long maxBytes) {
    }

    /** File names sort by source then sequence: VALIDATOR-SOURCE-SEQ (20 digits). */
    public static String name(String validator, String source, long seq) {
        return validator + "-" + source + "-" + String.format("%020d", seq);
    }

    public static Sealed seal(Manifest m, List<KeyFile> files, List<String> recipients, SigningKey key)
            throws BadInputException, IOException {
        List<Tar.Entry> entries = new ArrayList<>();
        entries.add(new Tar.Entry(Manifest.PATH, 0600, Json.pretty(m.json())));
        for (KeyFile f : files) {
            entries.add(new Tar.Entry(Manifest.FILES_DIR + f.path(), f.mode(), f.content()));
        }
        return sealArchive(m, Tar.write(entries), recipients, key);
    }

    /** Encrypts and signs an archive under a header built from the manifest's fields. */
    static Sealed sealArchive(Manifest m, byte[] tar, List<String> recipients, SigningKey key)
            throws BadInputException, IOException {
        byte[] ciphertext = encrypt(tar, recipients);
        ObjectNode h = Json.object();
        h.put("format", FORMAT);
        h.put("version", VERSION);
        h.put("validator", m.validator());
        h.put("source", m.source());
        h.put("seq", m.seq());
        h.put("epoch", m.epoch());
        h.put("created", m.created());
        ArrayNode rs = h.putArray("recipients");
        recipients.forEach(rs::add);
        h.putObject("ciphertext").put("size", ciphertext.length).put("sha256", Manifest.sha256(ciphertext));
        String header = new String(Json.bytes(h), StandardCharsets.UTF_8);
        byte[] sig = key.sign(signedBytes(header, ciphertext));
        ObjectNode sigFile = Json.object();
        sigFile.put("header", header);
        sigFile.put("signature", Base64.getEncoder().encodeToString(sig));
        return new Sealed(name(m.validator(), m.source(), m.seq()), ciphertext, Json.pretty(sigFile));
    }

    private static byte[] signedBytes(String header, byte[] ciphertext) {
        byte[] h = (SIGNED_PREFIX + header + "\n").getBytes(StandardCharsets.UTF_8);
        byte[] all = new byte[h.length + ciphertext.length];
        System.arraycopy(h, 0, all, 0, h.length);
        System.arraycopy(ciphertext, 0, all, h.length, ciphertext.length);
        return all;
    }

    private record SigFile(String headerText, JsonNode header, byte[] signature) {
    }

    private static SigFile parseSig(byte[] sigFile, String src) throws Rejection {
        if (sigFile.length > MAX_SIG_BYTES) {
            throw new Rejection(Rejection.Reason.OVERSIZED, src + ": signature file is " + sigFile.length
                    + " bytes, more than " + MAX_SIG_BYTES);
        }
        try {
            ObjectNode s = Json.parseUntrustedObject(sigFile, src);
            JsonNode ht = s.get("header");
            JsonNode st = s.get("signature");
            if (ht == null || !ht.isTextual() || st == null || !st.isTextual()) {
                throw new Rejection(Rejection.Reason.MALFORMED, src + ": expected fields 'header' and 'signature' (strings)");
            }
            ObjectNode header = Json.parseUntrustedObject(ht.asText().getBytes(StandardCharsets.UTF_8), src + " header");
            return new SigFile(ht.asText(), header, Base64.getDecoder().decode(st.asText()));
        } catch (Rejection e) {
            throw e;
        } catch (BadInputException e) {
            throw new Rejection(Rejection.Reason.MALFORMED, e.getMessage());
        } catch (IllegalArgumentException e) {
            throw new Rejection(Rejection.Reason.MALFORMED, src + ": field 'signature' is not base64");
        }
    }

    /**
     * A string from an unverified header as it may appear in a message: at most 64 characters, anything but
     * letters, digits and {@code .:_+/=-} shown as '?'. What an upload says goes into logs, the quarantine
     * record, the status and alerts; it must not carry another file's content or control characters there.
     */
    public static String shown(String s) {
        String cut = s.length() > 64 ? s.substring(0, 64) + "…" : s;
        return cut.replaceAll("[^A-Za-z0-9.:_+/=…-]", "?");
    }

    /** Reads the signed header without checking the signature (to route or name a file). */
    public static Header header(byte[] sigFile, String src) throws Rejection {
        return header(parseSig(sigFile, src).header(), src);
    }

    private static Header header(JsonNode h, String src) throws Rejection {
        String format = h.path("format").asText();
        if (!FORMAT.equals(format)) {
            throw new Rejection(Rejection.Reason.MALFORMED, src + ": header format is not '" + FORMAT + "'");
        }
        int version = h.path("version").asInt(-1);
        if (version != VERSION) {
            throw new Rejection(Rejection.Reason.UNSUPPORTED_VERSION, src + ": bundle format version " + version
                    + ", this helper reads version " + VERSION);
        }
        for (String f : List.of("validator", "source", "created")) {
            if (!h.path(f).isTextual()) {
                throw new Rejection(Rejection.Reason.MALFORMED, src + ": header field '" + f + "' is missing");
            }
        }
        for (String f : List.of("seq", "epoch")) {
            if (!h.path(f).isIntegralNumber()) {
                throw new Rejection(Rejection.Reason.MALFORMED, src + ": header field '" + f + "' must be an integer");
            }
        }
        JsonNode ct = h.path("ciphertext");
        if (!ct.path("size").isIntegralNumber() || !ct.path("sha256").isTextual() || !h.path("recipients").isArray()) {
            throw new Rejection(Rejection.Reason.MALFORMED, src + ": header needs 'ciphertext' {size, sha256} and 'recipients'");
        }
        List<String> rs = new ArrayList<>();
        h.path("recipients").forEach(r -> rs.add(r.asText()));
        return new Header(h.get("validator").asText(), h.get("source").asText(), h.get("seq").asLong(),
                h.get("epoch").asLong(), h.get("created").asText(), rs, ct.get("size").asLong(), ct.get("sha256").asText());
    }

    /**
     * Checks a bundle in this order and decrypts it only after the signature verifies: header, validator,
     * signer, size, signature, recipient, sequence, decryption, manifest against header, every file's hash.
     */
    public static Opened open(byte[] sigFile, byte[] ciphertext, Trust t, String src) throws Rejection {
        SigFile sf = parseSig(sigFile, src);
        Header h = header(sf.header(), src);
        if (!h.validator().equals(t.validator())) {
            throw new Rejection(Rejection.Reason.WRONG_VALIDATOR, src + ": bundle is for validator '" + shown(h.validator())
                    + "', this host serves '" + t.validator() + "'");
        }
        List<VerifyKey> keys = t.signers().get(h.source());
        if (keys == null || keys.isEmpty() || h.source().equals(t.self())) {
            throw new Rejection(Rejection.Reason.UNKNOWN_SIGNER, src + ": signed as '" + shown(h.source())
                    + "', which is not a trusted peer (trusted: " + String.join(", ", t.signers().keySet()) + ")");
        }
        if (ciphertext.length > t.maxBytes()) {
            throw new Rejection(Rejection.Reason.OVERSIZED, src + ": ciphertext is " + ciphertext.length
                    + " bytes, more than sync.max_bundle_bytes " + t.maxBytes());
        }
        if (ciphertext.length < h.size()) {
            throw new Rejection(Rejection.Reason.TRUNCATED, src + ": ciphertext is " + ciphertext.length
                    + " bytes but the signed header says " + h.size() + " (truncated upload or disk)");
        }
        if (ciphertext.length > h.size()) {
            throw new Rejection(Rejection.Reason.TAMPERED, src + ": ciphertext is " + ciphertext.length
                    + " bytes but the signed header says " + h.size());
        }
        byte[] signed = signedBytes(sf.headerText(), ciphertext);
        boolean ok = false;
        for (VerifyKey k : keys) {
            ok |= k.verify(signed, sf.signature());
        }
        if (!ok) {
            throw new Rejection(Rejection.Reason.BAD_SIGNATURE, src + ": signature does not verify against "
                    + h.source() + "'s key(s): the bundle was altered or signed by another key");
        }
        if (h.recipients().stream().noneMatch(t.ownRecipients()::contains)) {
            throw new Rejection(Rejection.Reason.WRONG_RECIPIENT, src + ": not encrypted to this host (recipients "
                    + h.recipients().stream().map(Bundle::shown).toList() + ", this host is " + t.ownRecipients() + ")");
        }
        long last = t.lastAccepted().getOrDefault(h.source(), 0L);
        if (h.seq() <= last) {
            throw new Rejection(Rejection.Reason.REPLAYED, src + ": sequence " + h.seq() + " from " + h.source()
                    + " is not above the last accepted " + last + " (a replay or a stale copy)");
        }
        byte[] tar = decrypt(ciphertext, t.identities(), t.maxBytes(), src);
        return unpack(h, tar, src);
    }

    static byte[] decrypt(byte[] ciphertext, List<AgeIdentity> identities, long maxBytes, String src) throws Rejection {
        try {
            List<RecipientStanzaReader> readers = new ArrayList<>();
            for (AgeIdentity id : identities) {
                readers.add(id.reader());
            }
            ReadableByteChannel ch = new StandardDecryptingChannelFactory()
                    .newDecryptingChannel(Channels.newChannel(new ByteArrayInputStream(ciphertext)), readers);
            try (InputStream in = Channels.newInputStream(ch)) {
                byte[] out = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxBytes + 1));
                if (out.length > maxBytes) {
                    throw new Rejection(Rejection.Reason.OVERSIZED, src + ": decrypted content exceeds " + maxBytes + " bytes");
                }
                return out;
            }
        } catch (Rejection e) {
            throw e;
        } catch (GeneralSecurityException | IOException | RuntimeException e) {
            throw new Rejection(Rejection.Reason.CANNOT_DECRYPT, src + ": cannot decrypt with this host's identities: "
                    + e.getMessage());
        }
    }

    static Opened unpack(Header h, byte[] tar, String src) throws Rejection {
        List<Tar.Entry> entries;
        try {
            entries = Tar.read(tar);
        } catch (Tar.TarException e) {
            throw new Rejection(Rejection.Reason.TAMPERED, src + ": archive inside the bundle: " + e.getMessage());
        }
        if (entries.isEmpty() || !entries.get(0).path().equals(Manifest.PATH)) {
            throw new Rejection(Rejection.Reason.MALFORMED, src + ": the archive does not start with " + Manifest.PATH);
        }
        Manifest m;
        try {
            m = Manifest.parse(Json.parseUntrustedObject(entries.get(0).content(), src + " " + Manifest.PATH), src + " " + Manifest.PATH);
        } catch (BadInputException e) {
            throw e instanceof Rejection r ? r : new Rejection(Rejection.Reason.MALFORMED, e.getMessage());
        }
        if (!m.validator().equals(h.validator()) || !m.source().equals(h.source()) || m.seq() != h.seq()
                || m.epoch() != h.epoch()) {
            throw new Rejection(Rejection.Reason.TAMPERED, src + ": manifest (" + m.validator() + ", " + m.source() + ", seq "
                    + m.seq() + ", epoch " + m.epoch() + ") does not match the signed header (" + h.validator() + ", "
                    + h.source() + ", seq " + h.seq() + ", epoch " + h.epoch() + ")");
        }
        Map<String, KeyFile> files = new LinkedHashMap<>();
        Map<String, Tar.Entry> byPath = new LinkedHashMap<>();
        for (Tar.Entry e : entries.subList(1, entries.size())) {
            if (!e.path().startsWith(Manifest.FILES_DIR)) {
                throw new Rejection(Rejection.Reason.TAMPERED, src + ": unexpected archive entry " + shown(e.path()));
            }
            byPath.put(e.path().substring(Manifest.FILES_DIR.length()), e);
        }
        for (Manifest.FileEntry f : m.files()) {
            Tar.Entry e = byPath.remove(f.path());
            if (e == null) {
                throw new Rejection(Rejection.Reason.TAMPERED, src + ": " + shown(f.path()) + " is in the manifest but not in the archive");
            }
            if (e.content().length != f.size() || !Manifest.sha256(e.content()).equals(f.sha256())) {
                throw new Rejection(Rejection.Reason.TAMPERED, src + ": " + shown(f.path()) + " does not match its SHA-256 in the manifest");
            }
            files.put(f.path(), new KeyFile(f.path(), f.mode(), e.content()));
        }
        if (!byPath.isEmpty()) {
            throw new Rejection(Rejection.Reason.TAMPERED, src + ": files not in the manifest: " + byPath.keySet().stream().map(Bundle::shown).toList());
        }
        return new Opened(h, m, files);
    }

    /**
     * Decrypts a stored bundle (verified when it was received) and checks every file again. The store keeps
     * the SHA-256 of the ciphertext it holds, which differs from the signed header's after a key rotation
     * re-encrypted it; the signed header stays as the record of origin.
     */
    public static Opened reopen(byte[] sigFile, byte[] ciphertext, String storedSha256, List<AgeIdentity> identities,
            long maxBytes, String src) throws Rejection {
        Header h = header(sigFile, src);
        if (!Manifest.sha256(ciphertext).equals(storedSha256)) {
            throw new Rejection(Rejection.Reason.TAMPERED, src + ": stored ciphertext no longer matches the SHA-256 the"
                    + " store recorded (disk corruption or tampering)");
        }
        return unpack(h, decrypt(ciphertext, identities, maxBytes, src), src);
    }

    /** Which of the identities opens this ciphertext (the first that does), or null. */
    public static AgeIdentity opener(byte[] ciphertext, List<AgeIdentity> identities, long maxBytes) {
        for (AgeIdentity id : identities) {
            try {
                decrypt(ciphertext, List.of(id), maxBytes, "probe");
                return id;
            } catch (Rejection e) {
                // try the next one
            }
        }
        return null;
    }

    /** Encrypts an opened bundle's archive again, to other recipients (key rotation of the store's host). */
    public static byte[] reencrypt(byte[] ciphertext, List<AgeIdentity> identities, List<String> recipients, long maxBytes,
            String src) throws Rejection, BadInputException, IOException {
        byte[] tar = decrypt(ciphertext, identities, maxBytes, src);
        return encrypt(tar, recipients);
    }

    static byte[] encrypt(byte[] plain, List<String> recipients) throws BadInputException, IOException {
        List<RecipientStanzaWriter> writers = new ArrayList<>();
        for (String r : recipients) {
            writers.add(AgeIdentity.writer(r, "recipient"));
        }
        ByteArrayOutputStream ct = new ByteArrayOutputStream();
        try (WritableByteChannel ch = new StandardEncryptingChannelFactory().newEncryptingChannel(Channels.newChannel(ct), writers)) {
            ByteBuffer b = ByteBuffer.wrap(plain);
            while (b.hasRemaining()) {
                ch.write(b);
            }
        } catch (GeneralSecurityException e) {
            throw new IOException("age encryption failed: " + e.getMessage(), e);
        }
        return ct.toByteArray();
    }
}
