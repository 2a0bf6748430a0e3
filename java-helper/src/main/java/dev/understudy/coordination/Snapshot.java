package dev.understudy.coordination;

import com.fasterxml.jackson.databind.JsonNode;
import dev.understudy.cli.BadInputException;
import dev.understudy.common.Json;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One consistent read of a validator's keys ({@code /understudy/VALIDATOR/} but the takeover reports, read in one
 * request at one etcd revision):
 * what an agent's tick decides on. Parsed once here; a key whose value cannot be read is listed in {@code unreadable}
 * and treated as the safe reading (a leader key that cannot be read is still a leader: its holder is "?").
 *
 * @param leader the signing role's key, null when absent
 * @param latestEpoch the mod revision of the {@code epoch} key, written in the same transaction as every leader key
 *     since: the create revision of the newest leader key ever made (0 when there has been none since)
 * @param released the release record the last holder that gave the role up on purpose wrote, null when none
 * @param switchover a planned handover request, null when none
 * @param demote the monitor's request that a holder step down, null when none
 * @param statuses each agent's published status, by host
 * @param watchdogAtMs when the monitor's watchdog last checked in (wall clock), -1 when it never did
 */
public record Snapshot(long revision, Leader leader, long latestEpoch, String latestHolder, Released released, Request switchover,
        Request demote, Map<String, JsonNode> statuses, long watchdogAtMs, List<String> unreadable) {

    /** The leader key: who holds the role, the epoch (its create revision) and the lease it lives on. */
    public record Leader(String holder, long epoch, long lease) {
    }

    /**
     * Written by a holder after its node confirmed it stopped signing, in the transaction that deletes its leader
     * key: the epoch it gave up and the last round its node signed, signed with its identity key. {@code verified}:
     * the signature verifies against that host's keys (checked only while no leader key exists, when it matters).
     */
    public record Released(long epoch, String host, long lastSignedRound, long atMs, boolean verified) {
    }

    /** Whether a release record's signature is that of the host it names. */
    public interface ReleaseCheck {
        boolean verified(Released record, String signature);
    }

    /** A switchover (to a host, for the holder of an epoch) or a demote (of the holder of an epoch, with a reason). */
    public record Request(String to, long epoch, String reason) {
    }

    /** Names of the keys under the prefix. */
    static final String LEADER = "leader";
    static final String EPOCH = "epoch";
    static final String RELEASED = "released";
    static final String SWITCHOVER = "switchover";
    static final String DEMOTE = "demote";
    static final String STATUS = "status/";
    static final String WATCHDOG = "watchdog";
    /** Takeover reports: history, left out of a tick's snapshot. */
    static final String REPORTS = "reports/";

    public Snapshot {
        statuses = Map.copyOf(statuses);
        unreadable = List.copyOf(unreadable);
    }

    /** Nothing in etcd yet (a new deployment), at revision 0. */
    public static Snapshot empty() {
        return new Snapshot(0, null, 0, null, null, null, null, Map.of(), -1, List.of());
    }

    /** Parses a range read; {@code check} verifies a release record's signature (called only while no leader key exists). */
    public static Snapshot of(String prefix, Etcd.Range range, ReleaseCheck check) {
        Leader leader = null;
        long latest = 0;
        String latestHolder = null;
        Released released = null;
        Request switchover = null;
        Request demote = null;
        Map<String, JsonNode> statuses = new TreeMap<>();
        long watchdogAt = -1;
        List<String> unreadable = new ArrayList<>();
        for (Etcd.KeyValue kv : range.kvs()) {
            if (!kv.key().startsWith(prefix)) {
                continue;
            }
            String name = kv.key().substring(prefix.length());
            JsonNode v;
            try {
                v = Json.parseObject(kv.value().getBytes(StandardCharsets.UTF_8), kv.key());
            } catch (BadInputException e) {
                unreadable.add(name + ": " + e.getMessage());
                if (name.equals(LEADER)) {
                    leader = new Leader("?", kv.createRevision(), kv.lease());
                }
                continue;
            }
            switch (name) {
                case LEADER -> leader = new Leader(v.path("holder").asText("?"), kv.createRevision(), kv.lease());
                case EPOCH -> {
                    latest = kv.modRevision();
                    latestHolder = v.path("holder").asText(null);
                }
                case RELEASED -> {
                    if (v.path("epoch").canConvertToLong() && v.path("epoch").asLong() > 0) {
                        Released r = new Released(v.path("epoch").asLong(), v.path("host").asText("?"),
                                v.path("lastSignedRound").asLong(-1), v.path("atMs").asLong(), false);
                        // keys come in order: "leader" sorts before "released", so its absence is known here
                        boolean ok = leader == null && check.verified(r, v.path("signature").asText(""));
                        released = new Released(r.epoch(), r.host(), r.lastSignedRound(), r.atMs(), ok);
                    }
                }
                case SWITCHOVER -> switchover = new Request(v.path("to").asText(""), v.path("epoch").asLong(), "");
                case DEMOTE -> demote = new Request("", v.path("epoch").asLong(), v.path("reason").asText("no reason given"));
                case WATCHDOG -> watchdogAt = v.path("atMs").asLong(-1);
                default -> {
                    if (name.startsWith(STATUS)) {
                        statuses.put(name.substring(STATUS.length()), v);
                    }
                }
            }
        }
        return new Snapshot(range.revision(), leader, latest, latestHolder, released, switchover, demote, statuses, watchdogAt,
                unreadable);
    }

    /** A host's status as its agent last published it; null when there is none (its lease expired). */
    public JsonNode status(String host) {
        return host == null ? null : statuses.get(host);
    }

    /**
     * The role is free and the holder that had it last gave it up with a proof: no leader key, and the release record
     * names the newest epoch ever granted and carries its holder's signature. Only then may a standby skip the chain's
     * evidence wait. A holder that lost its lease (cut off, frozen, dead) writes no record, and a leader key created
     * after the record makes it stale.
     */
    public boolean provenRelease() {
        return leader == null && released != null && released.verified() && latestEpoch != 0 && released.epoch() == latestEpoch;
    }
}
