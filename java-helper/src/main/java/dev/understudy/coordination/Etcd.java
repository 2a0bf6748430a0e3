package dev.understudy.coordination;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.understudy.common.Json;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SSLContext;

/**
 * A small etcd v3 client over etcd's JSON gateway ({@code /v3/...}) with mutual TLS and password-token auth.
 * Every call has a deadline; within it the client tries each endpoint in turn, starting with the last one that
 * answered; an endpoint that fails moves the start on to the next one. etcd 3.4's gateway refuses client certificates that carry a CommonName when auth is on, so the
 * client certificates the etcd role makes name the client in O/OU only.
 */
public final class Etcd {
    private final List<URI> endpoints;
    /** The longest answer read from a member (a range of every key of a validator is a few KiB). */
    static final int MAX_ANSWER = 64 << 20;
    private final HttpClient http;
    private final String user;
    private final String password;
    private final Duration attemptTimeout;
    private volatile int preferred;
    private volatile String token;

    /** A key and its revisions; {@code createRevision} of the leader key is the fencing epoch. */
    public record KeyValue(String key, String value, long createRevision, long modRevision, long lease) {
    }

    public Etcd(List<URI> endpoints, SSLContext tls, String user, String password, Duration attemptTimeout) {
        if (endpoints.isEmpty()) {
            throw new IllegalArgumentException("at least one etcd endpoint required");
        }
        this.endpoints = List.copyOf(endpoints);
        this.user = user;
        this.password = password;
        this.attemptTimeout = attemptTimeout;
        HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(attemptTimeout).version(HttpClient.Version.HTTP_1_1);
        if (tls != null) {
            b.sslContext(tls);
        }
        this.http = b.build();
    }

    public List<URI> endpoints() {
        return endpoints;
    }

    /** What one attempt on one member is given (the agent's request timeout, or a one-shot command's). */
    public Duration attemptTimeout() {
        return attemptTimeout;
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    private static String unb64(JsonNode n) {
        return n == null || n.isNull() ? "" : new String(Base64.getDecoder().decode(n.asText()), StandardCharsets.UTF_8);
    }

    /** The end of the range that holds every key starting with prefix. */
    static String prefixEnd(String prefix) {
        byte[] b = prefix.getBytes(StandardCharsets.UTF_8);
        for (int i = b.length - 1; i >= 0; i--) {
            if (b[i] != (byte) 0xff) {
                b[i]++;
                return new String(java.util.Arrays.copyOf(b, i + 1), StandardCharsets.UTF_8);
            }
        }
        return "\0";
    }

    private static KeyValue kv(JsonNode n) {
        return new KeyValue(unb64(n.get("key")), unb64(n.get("value")), n.path("create_revision").asLong(),
                n.path("mod_revision").asLong(), n.path("lease").asLong());
    }

    // ---------------------------------------------------------------- calls

    /** POSTs to one endpoint after another until one answers or the deadline passes. */
    JsonNode call(String path, JsonNode body, long deadlineNanos) throws EtcdException {
        EtcdException last = null;
        boolean reauthed = false;
        int start = preferred;
        for (int attempt = 0; attempt < endpoints.size() * 2; attempt++) {
            long left = deadlineNanos - System.nanoTime();
            if (left <= 0) {
                break;
            }
            int idx = (start + attempt) % endpoints.size();
            URI ep = endpoints.get(idx);
            try {
                if (user != null && token == null && !path.equals("/v3/auth/authenticate")) {
                    authenticate(ep, deadlineNanos);
                }
                JsonNode res = post(ep, path, body, Math.min(left, attemptTimeout.toNanos()));
                preferred = idx;
                return res;
            } catch (AuthExpired e) {
                token = null;
                if (reauthed || user == null) {
                    throw new EtcdException("etcd " + ep + path + ": " + e.getMessage() + " (user " + user + ")", e, false);
                }
                reauthed = true;
                attempt--;
            } catch (IOException e) {
                last = new EtcdException("etcd " + ep + path + ": " + e.getMessage(), e, true);
                // the next call (or attempt) starts at the next endpoint: a member that hangs must not keep every
                // call whose deadline allows a single attempt
                if (preferred == idx) {
                    preferred = (idx + 1) % endpoints.size();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new EtcdException("interrupted calling etcd", e, true);
            }
        }
        throw last != null ? last : new EtcdException("etcd: no endpoint answered " + path + " before the deadline", null, true);
    }

    private static final class AuthExpired extends Exception {
        private static final long serialVersionUID = 1L;

        AuthExpired(String m) {
            super(m);
        }
    }

    private JsonNode post(URI ep, String path, JsonNode body, long timeoutNanos)
            throws IOException, InterruptedException, AuthExpired, EtcdException {
        HttpRequest.Builder b = HttpRequest.newBuilder(ep.resolve(path)).timeout(Duration.ofNanos(Math.max(timeoutNanos, 1_000_000)))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(Json.bytes(body)));
        String t = token;
        if (t != null && !path.equals("/v3/auth/authenticate")) {
            b.header("Authorization", t);
        }
        HttpResponse<byte[]> res = dev.understudy.common.HttpCalls.send(http, b.build(), Duration.ofNanos(Math.max(timeoutNanos, 1_000_000)),
                MAX_ANSWER);
        JsonNode n = parse(res.body(), ep + path);
        if (res.statusCode() / 100 != 2 || n.has("error")) {
            String msg = n.path("message").asText(n.path("error").asText("HTTP " + res.statusCode()));
            // A token keeps the permissions its user had when it was issued (etcd 3.4): after a role change a
            // fresh token is needed, so "permission denied" also earns one re-authentication.
            if (msg.contains("invalid auth token") || msg.contains("user name is empty") || msg.contains("permission denied")
                    || msg.contains("revision in header is old")) {
                throw new AuthExpired(msg);
            }
            if (res.statusCode() >= 500 && (msg.contains("leader") || msg.contains("timed out") || msg.contains("unavailable"))) {
                throw new IOException(msg);
            }
            throw new EtcdException("etcd " + ep + path + ": " + msg, null, false);
        }
        return n;
    }

    private static JsonNode parse(byte[] body, String src) throws IOException {
        // the gateway answers streaming RPCs (keep-alive) with one {"result": ...} object per message
        String text = new String(body, StandardCharsets.UTF_8).trim();
        int nl = text.indexOf('\n');
        if (nl > 0) {
            text = text.substring(0, nl);
        }
        try {
            JsonNode n = Json.MAPPER.readTree(text);
            return n.has("result") ? n.get("result") : n;
        } catch (IOException e) {
            throw new IOException(src + " answered something that is not JSON: "
                    + text.substring(0, Math.min(120, text.length())), e);
        }
    }

    private void authenticate(URI ep, long deadlineNanos) throws IOException, InterruptedException, EtcdException, AuthExpired {
        ObjectNode b = Json.object().put("name", user).put("password", password);
        JsonNode res = post(ep, "/v3/auth/authenticate", b, Math.min(deadlineNanos - System.nanoTime(), attemptTimeout.toNanos()));
        String t = res.path("token").asText("");
        if (t.isEmpty()) {
            throw new EtcdException("etcd " + ep + ": authentication as " + user + " returned no token", null, false);
        }
        token = t;
    }

    static long deadline(Duration d) {
        return System.nanoTime() + d.toNanos();
    }

    // ---------------------------------------------------------------- KV

    public Optional<KeyValue> get(String key, Duration within) throws EtcdException {
        JsonNode r = call("/v3/kv/range", Json.object().put("key", b64(key)), deadline(within));
        JsonNode kvs = r.path("kvs");
        return kvs.isArray() && kvs.size() > 0 ? Optional.of(kv(kvs.get(0))) : Optional.empty();
    }

    public List<KeyValue> prefix(String prefix, Duration within) throws EtcdException {
        return range(prefix, within).kvs();
    }

    /** Every key under a prefix as of one revision: a consistent snapshot (etcd serves a range from one revision). */
    public record Range(long revision, List<KeyValue> kvs) {
    }

    /**
     * Every key under {@code prefix} except those under {@code prefix + excluded}, as of one revision: two ranges in one
     * transaction (etcd serves a transaction at one revision). The agent's tick leaves out the takeover reports, which
     * accumulate with every takeover.
     */
    public Range range(String prefix, String excluded, Duration within) throws EtcdException {
        String cut = prefix + excluded;
        ObjectNode txn = Json.object();
        ArrayNode success = txn.putArray("success");
        success.addObject().putObject("request_range").put("key", b64(prefix)).put("range_end", b64(cut));
        success.addObject().putObject("request_range").put("key", b64(prefixEnd(cut))).put("range_end", b64(prefixEnd(prefix)));
        JsonNode r = call("/v3/kv/txn", txn, deadline(within));
        List<KeyValue> out = new ArrayList<>();
        for (JsonNode resp : r.path("responses")) {
            resp.path("response_range").path("kvs").forEach(n -> out.add(kv(n)));
        }
        return new Range(r.path("header").path("revision").asLong(), List.copyOf(out));
    }

    public Range range(String prefix, Duration within) throws EtcdException {
        JsonNode r = call("/v3/kv/range", Json.object().put("key", b64(prefix)).put("range_end", b64(prefixEnd(prefix))),
                deadline(within));
        List<KeyValue> out = new ArrayList<>();
        r.path("kvs").forEach(n -> out.add(kv(n)));
        return new Range(r.path("header").path("revision").asLong(), List.copyOf(out));
    }

    public long put(String key, String value, long lease, Duration within) throws EtcdException {
        ObjectNode b = Json.object().put("key", b64(key)).put("value", b64(value));
        if (lease != 0) {
            b.put("lease", String.valueOf(lease));
        }
        return call("/v3/kv/put", b, deadline(within)).path("header").path("revision").asLong();
    }

    public long delete(String key, Duration within) throws EtcdException {
        return call("/v3/kv/deleterange", Json.object().put("key", b64(key)), deadline(within)).path("deleted").asLong();
    }

    /**
     * Result of an acquisition: whether this call created the leader key, the key as it now is, and — when a slot was
     * asked for and the transaction failed — the slot key as it now is (null when absent or not asked for).
     */
    public record Created(boolean created, KeyValue current, KeyValue slot) {
    }

    /**
     * Takes the signing role: in one transaction, if {@code leaderKey} does not exist (and, when {@code expectRev} is
     * not negative, {@code epochKey} was last written at revision {@code expectRev}: nothing was created since the
     * caller read it), creates {@code leaderKey} on {@code lease} and writes {@code epochKey} beside it, so that the
     * epoch key's mod revision always equals the create revision of the newest leader key ever made. With a
     * {@code slotKey} (a shared backup's capacity slot), the transaction also requires that key absent and creates it
     * on the same lease, so the slot is held exactly as long as the role's lease lives. Either way returns the leader
     * key as it is after the transaction (absent only when an expectation failed and no leader exists: then
     * {@code current} is null).
     */
    public Created acquire(String leaderKey, String value, long lease, String epochKey, String epochValue, long expectRev,
            String slotKey, String slotValue, Duration within) throws EtcdException {
        ObjectNode txn = Json.object();
        ArrayNode compare = txn.putArray("compare");
        compare.addObject().put("key", b64(leaderKey)).put("target", "CREATE").put("create_revision", "0");
        if (expectRev >= 0) {
            compare.addObject().put("key", b64(epochKey)).put("target", "MOD").put("mod_revision", String.valueOf(expectRev));
        }
        if (slotKey != null) {
            compare.addObject().put("key", b64(slotKey)).put("target", "CREATE").put("create_revision", "0");
        }
        ArrayNode success = txn.putArray("success");
        success.addObject().putObject("request_put").put("key", b64(leaderKey)).put("value", b64(value)).put("lease", String.valueOf(lease));
        success.addObject().putObject("request_put").put("key", b64(epochKey)).put("value", b64(epochValue));
        if (slotKey != null) {
            success.addObject().putObject("request_put").put("key", b64(slotKey)).put("value", b64(slotValue))
                    .put("lease", String.valueOf(lease));
        }
        success.addObject().putObject("request_range").put("key", b64(leaderKey));
        ArrayNode failure = txn.putArray("failure");
        failure.addObject().putObject("request_range").put("key", b64(leaderKey));
        if (slotKey != null) {
            failure.addObject().putObject("request_range").put("key", b64(slotKey));
        }
        JsonNode r = call("/v3/kv/txn", txn, deadline(within));
        boolean created = r.path("succeeded").asBoolean(false);
        KeyValue leader = null;
        KeyValue slot = null;
        for (JsonNode resp : r.path("responses")) {
            JsonNode kvs = resp.path("response_range").path("kvs");
            if (kvs.isArray() && kvs.size() > 0) {
                KeyValue kv = kv(kvs.get(0));
                if (kv.key().equals(leaderKey)) {
                    leader = kv;
                } else if (kv.key().equals(slotKey)) {
                    slot = kv;
                }
            }
        }
        if (created && leader == null) {
            throw new EtcdException("etcd txn on " + leaderKey + " returned no key", null, false);
        }
        return new Created(created, leader, created ? null : slot);
    }

    /**
     * Gives the signing role up with a proof: in one transaction, if {@code leaderKey} still has create revision
     * {@code epoch}, deletes it and writes the release record. True when it did.
     */
    public boolean release(String leaderKey, long epoch, String releasedKey, String record, Duration within) throws EtcdException {
        ObjectNode txn = Json.object();
        txn.putArray("compare").addObject().put("key", b64(leaderKey)).put("target", "CREATE")
                .put("create_revision", String.valueOf(epoch));
        ArrayNode success = txn.putArray("success");
        success.addObject().putObject("request_delete_range").put("key", b64(leaderKey));
        success.addObject().putObject("request_put").put("key", b64(releasedKey)).put("value", b64(record));
        return call("/v3/kv/txn", txn, deadline(within)).path("succeeded").asBoolean(false);
    }

    /** Deletes the key only if its create revision is the given one (release our own leader key, never another's). */
    public boolean deleteIfCreated(String key, long createRevision, Duration within) throws EtcdException {
        ObjectNode txn = Json.object();
        txn.putArray("compare").addObject().put("key", b64(key)).put("target", "CREATE")
                .put("create_revision", String.valueOf(createRevision));
        txn.putArray("success").addObject().putObject("request_delete_range").put("key", b64(key));
        return call("/v3/kv/txn", txn, deadline(within)).path("succeeded").asBoolean(false);
    }

    // ---------------------------------------------------------------- leases

    /** Grants a lease; etcd counts TTLs in whole seconds and raises a TTL below its minimum. */
    public long grant(long ttlSeconds, Duration within) throws EtcdException {
        JsonNode r = call("/v3/lease/grant", Json.object().put("TTL", String.valueOf(ttlSeconds)), deadline(within));
        long id = r.path("ID").asLong();
        if (id == 0) {
            throw new EtcdException("etcd lease grant returned no ID: " + r, null, false);
        }
        return id;
    }

    /** Refreshes a lease; returns its TTL in seconds, 0 when the lease no longer exists. */
    public long keepAlive(long lease, Duration within) throws EtcdException {
        JsonNode r = call("/v3/lease/keepalive", Json.object().put("ID", String.valueOf(lease)), deadline(within));
        return r.path("TTL").asLong(0);
    }

    public void revoke(long lease, Duration within) throws EtcdException {
        try {
            call("/v3/lease/revoke", Json.object().put("ID", String.valueOf(lease)), deadline(within));
        } catch (EtcdException e) {
            if (!e.unreachable() && e.getMessage().contains("requested lease not found")) {
                return;
            }
            throw e;
        }
    }

    /** Seconds left on a lease, -1 when it does not exist. */
    public long timeToLive(long lease, Duration within) throws EtcdException {
        JsonNode r = call("/v3/lease/timetolive", Json.object().put("ID", String.valueOf(lease)), deadline(within));
        return r.path("TTL").asLong(-1);
    }

    /** Each endpoint's own answer to a status request: null where it did not answer. */
    public List<JsonNode> memberStatus(Duration within) {
        List<JsonNode> out = new ArrayList<>();
        for (URI ep : endpoints) {
            try {
                out.add(post(ep, "/v3/maintenance/status", Json.object(), within.toNanos()));
            } catch (IOException | AuthExpired | EtcdException e) {
                out.add(null);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                out.add(null);
            }
        }
        return out;
    }
}
