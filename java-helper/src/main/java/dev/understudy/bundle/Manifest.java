package dev.understudy.bundle;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.understudy.common.Json;
import dev.understudy.node.KeyFile;
import dev.understudy.node.PeriodKeys;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * The bundle's table of contents, inside the encryption: who made it, for which validator and periods, and
 * every file's path, mode, size and SHA-256. Its first fields repeat the signed header; they must agree.
 */
public record Manifest(String validator, String source, long seq, long epoch, String created, String adapter,
        List<PeriodKeys> periods, List<FileEntry> files) {

    public static final String PATH = "MANIFEST.json";
    public static final String FILES_DIR = "files/";

    /** One file's description. */
    public record FileEntry(String path, int mode, long size, String sha256) {
    }

    public static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 missing", e);
        }
    }

    public static List<FileEntry> describe(List<KeyFile> files) {
        List<FileEntry> out = new ArrayList<>();
        for (KeyFile f : files) {
            out.add(new FileEntry(f.path(), f.mode(), f.content().length, sha256(f.content())));
        }
        return out;
    }

    public ObjectNode json() {
        ObjectNode n = Json.object();
        n.put("format", Bundle.FORMAT);
        n.put("version", Bundle.VERSION);
        n.put("validator", validator);
        n.put("source", source);
        n.put("seq", seq);
        n.put("epoch", epoch);
        n.put("created", created);
        n.put("adapter", adapter);
        ArrayNode ps = n.putArray("periods");
        for (PeriodKeys p : periods) {
            ObjectNode pj = ps.addObject();
            pj.put("period", p.period());
            ArrayNode ids = pj.putArray("keyIds");
            p.keyIds().forEach(ids::add);
        }
        ArrayNode fs = n.putArray("files");
        for (FileEntry f : files) {
            fs.addObject().put("path", f.path()).put("mode", String.format("%04o", f.mode())).put("size", f.size())
                    .put("sha256", f.sha256());
        }
        return n;
    }

    static Manifest parse(JsonNode n, String src) throws Rejection {
        List<PeriodKeys> periods = new ArrayList<>();
        for (JsonNode p : array(n, "periods", src)) {
            List<String> ids = new ArrayList<>();
            for (JsonNode id : array(p, "keyIds", src)) {
                ids.add(id.asText());
            }
            if (ids.isEmpty()) {
                // a period without a key would count as covered while nothing here can sign it
                throw new Rejection(Rejection.Reason.MALFORMED, src + ": a period lists no key (field 'keyIds' is empty)");
            }
            periods.add(new PeriodKeys(need(p, "period", src).asLong(), ids));
        }
        List<FileEntry> files = new ArrayList<>();
        for (JsonNode f : array(n, "files", src)) {
            String path = need(f, "path", src).asText();
            try {
                Tar.checkPath(path);
            } catch (Tar.TarException e) {
                throw new Rejection(Rejection.Reason.MALFORMED, src + ": a file path is unsafe (absolute, empty or with"
                        + " '.' or '..' parts)");
            }
            String mode = need(f, "mode", src).asText();
            if (!mode.matches("[0-7]{1,4}")) {
                throw new Rejection(Rejection.Reason.MALFORMED, src + ": a file mode is not an octal number of up to 4 digits");
            }
            files.add(new FileEntry(path, Integer.parseInt(mode, 8),
                    need(f, "size", src).asLong(), need(f, "sha256", src).asText()));
        }
        return new Manifest(need(n, "validator", src).asText(), need(n, "source", src).asText(),
                need(n, "seq", src).asLong(), need(n, "epoch", src).asLong(), need(n, "created", src).asText(),
                need(n, "adapter", src).asText(), periods, files);
    }

    private static JsonNode need(JsonNode n, String field, String src) throws Rejection {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) {
            throw new Rejection(Rejection.Reason.MALFORMED, src + ": field '" + field + "' is missing");
        }
        return v;
    }

    private static JsonNode array(JsonNode n, String field, String src) throws Rejection {
        JsonNode v = need(n, field, src);
        if (!v.isArray()) {
            throw new Rejection(Rejection.Reason.MALFORMED, src + ": field '" + field + "' must be a list");
        }
        return v;
    }
}
