package dev.understudy.watchdog;

import com.fasterxml.jackson.databind.JsonNode;
import dev.understudy.common.AtomicFiles;
import dev.understudy.node.Evidence;
import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * node_exporter's textfile format (Prometheus exposition 0.0.4), written atomically so the exporter never
 * reads half a file; `promtool check metrics` accepts it (tested).
 */
public final class Metrics {
    private final Map<String, String[]> help = new LinkedHashMap<>();
    private final Map<String, List<String>> samples = new LinkedHashMap<>();

    private void def(String name, String type, String text) {
        help.put(name, new String[] {type, text});
        samples.putIfAbsent(name, new java.util.ArrayList<>());
    }

    private void add(String name, Map<String, String> labels, double value) {
        StringBuilder b = new StringBuilder(name);
        if (!labels.isEmpty()) {
            b.append('{');
            boolean first = true;
            for (Map.Entry<String, String> e : new TreeMap<>(labels).entrySet()) {
                b.append(first ? "" : ",").append(e.getKey()).append("=\"").append(escape(e.getValue())).append('"');
                first = false;
            }
            b.append('}');
        }
        b.append(' ').append(value == Math.rint(value) && Math.abs(value) < 1e15 ? String.valueOf((long) value)
                : java.math.BigDecimal.valueOf(value).stripTrailingZeros().toPlainString());
        samples.get(name).add(b.toString());
    }

    static String escape(String v) {
        return v.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }

    static Map<String, String> l(String... kv) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i + 1 < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return m;
    }

    /** The metrics of one check. */
    public static Metrics of(Observation o, List<String> firingKeys, Duration checkDuration, WatchdogSettings cfg) {
        Metrics m = new Metrics();
        String v = o.validator();
        m.def("understudy_watchdog_last_check_timestamp_seconds", "gauge", "When the watchdog last completed a check.");
        m.add("understudy_watchdog_last_check_timestamp_seconds", l("validator", v), o.at().getEpochSecond());
        m.def("understudy_watchdog_check_duration_seconds", "gauge", "How long the last check took.");
        m.add("understudy_watchdog_check_duration_seconds", l("validator", v), checkDuration.toMillis() / 1000.0);
        m.def("understudy_etcd_members", "gauge", "etcd members configured.");
        m.add("understudy_etcd_members", l("validator", v), o.etcdMembers());
        m.def("understudy_etcd_members_answering", "gauge", "etcd members that answered the last check.");
        m.add("understudy_etcd_members_answering", l("validator", v), o.etcdAnswering());
        m.def("understudy_etcd_up", "gauge", "Whether etcd answered with a quorum (1) or not (0).");
        m.add("understudy_etcd_up", l("validator", v), o.etcdReachable() ? 1 : 0);
        m.def("understudy_epoch", "gauge", "Epoch (leader key create revision) of the current holder; 0 without a holder.");
        m.add("understudy_epoch", l("validator", v), o.epoch());
        m.def("understudy_lease_seconds_left", "gauge", "Seconds left on the holder's lease; -1 without a holder.");
        m.add("understudy_lease_seconds_left", l("validator", v), o.leaseSecondsLeft());
        m.def("understudy_role", "gauge", "1 for the host that holds the signing role, 0 for the others.");
        m.def("understudy_agent_up", "gauge", "Whether the host's agent published a fresh status.");
        m.def("understudy_status_age_seconds", "gauge", "Age of the host's last published status.");
        m.def("understudy_node_synced", "gauge", "Whether the host's node follows the chain.");
        m.def("understudy_node_lag_rounds", "gauge", "How many rounds the host's node is behind.");
        m.def("understudy_node_signing", "gauge", "Whether the host's node signs (its own view).");
        m.def("understudy_keys_covered", "gauge", "Whether the host can sign for the period (its node or a verified bundle holds the keys).");
        m.def("understudy_bundles_quarantined", "gauge", "Bundles the host refused and keeps in quarantine.");
        m.def("understudy_ssh_up", "gauge", "Whether the host's SSH server answered.");
        long stale = cfg.statusStale().toMillis();
        for (Observation.HostView h : o.hosts()) {
            Map<String, String> hl = l("validator", v, "host", h.host(), "configured_role", h.role().text());
            m.add("understudy_role", hl, h.host().equals(o.holder()) ? 1 : 0);
            m.add("understudy_agent_up", hl, h.fresh(stale) ? 1 : 0);
            m.add("understudy_ssh_up", hl, h.sshUp() ? 1 : 0);
            JsonNode st = h.status();
            if (st == null) {
                continue;
            }
            m.add("understudy_status_age_seconds", hl, h.statusAgeMs() / 1000.0);
            m.add("understudy_node_synced", hl, st.path("synced").asBoolean(false) ? 1 : 0);
            m.add("understudy_node_lag_rounds", hl, st.path("lagRounds").asLong(-1));
            m.add("understudy_node_signing", hl, st.path("signing").asBoolean(false) ? 1 : 0);
            for (String which : new String[] {"current", "next"}) {
                Map<String, String> kl = new LinkedHashMap<>(hl);
                kl.put("period", which);
                m.add("understudy_keys_covered", kl, st.path("keys").path(which).asBoolean(false) ? 1 : 0);
            }
            m.add("understudy_bundles_quarantined", hl, st.path("bundles").path("quarantined").asLong(0));
        }
        Evidence ev = o.evidence();
        m.def("understudy_chain_up", "gauge", "Whether the chain answered the watchdog.");
        m.add("understudy_chain_up", l("validator", v), ev == null ? 0 : 1);
        if (ev != null) {
            m.def("understudy_chain_round", "gauge", "The chain's current round.");
            m.add("understudy_chain_round", l("validator", v), ev.chainRound());
            m.def("understudy_chain_last_vote_round", "gauge", "The last round a vote of the validator key reached the chain.");
            m.add("understudy_chain_last_vote_round", l("validator", v), ev.lastVoteRound());
            m.def("understudy_chain_in_current_set", "gauge", "Whether the validator is in the current set.");
            m.add("understudy_chain_in_current_set", l("validator", v), ev.inCurrentSet() ? 1 : 0);
            m.def("understudy_chain_recent_signers", "gauge", "Distinct signer instances that voted in the last rounds.");
            m.add("understudy_chain_recent_signers", l("validator", v), ev.recentSigners());
            m.def("understudy_chain_recent_double_signs", "gauge", "Double signs recorded in the last rounds.");
            m.add("understudy_chain_recent_double_signs", l("validator", v), ev.recentDoubleSigns());
        }
        JsonNode r = o.lastReport();
        if (r != null) {
            m.def("understudy_last_takeover_epoch", "gauge", "Epoch of the last takeover (failover or switchover).");
            m.add("understudy_last_takeover_epoch", l("validator", v, "kind", r.path("kind").asText()), r.path("epoch").asLong());
            m.def("understudy_last_takeover_timestamp_seconds", "gauge", "When the last takeover acquired the role.");
            m.add("understudy_last_takeover_timestamp_seconds", l("validator", v), r.path("acquiredAtMs").asLong() / 1000.0);
            if (r.has("roundsLost")) {
                m.def("understudy_last_takeover_rounds_lost", "gauge", "Rounds without a signature in the last takeover.");
                m.add("understudy_last_takeover_rounds_lost", l("validator", v), r.path("roundsLost").asLong());
            }
            if (r.has("acquiredAtRound") && r.has("previousLastVoteRound") && r.path("roundMs").asLong() > 0) {
                m.def("understudy_last_takeover_detection_seconds", "gauge", "From the previous holder's last vote to the takeover.");
                m.add("understudy_last_takeover_detection_seconds", l("validator", v),
                        (r.path("acquiredAtRound").asLong() - r.path("previousLastVoteRound").asLong()) * r.path("roundMs").asLong() / 1000.0);
            }
            if (r.has("firstSignedObservedAtMs")) {
                m.def("understudy_last_takeover_time_to_first_signature_seconds", "gauge", "From the takeover to the new holder's first vote on the chain.");
                m.add("understudy_last_takeover_time_to_first_signature_seconds", l("validator", v),
                        (r.path("firstSignedObservedAtMs").asLong() - r.path("acquiredAtMs").asLong()) / 1000.0);
            }
        }
        m.def("understudy_alerts_firing", "gauge", "Alerts firing, by name.");
        Map<String, Integer> byName = new TreeMap<>();
        for (dev.understudy.alert.AlertName n : dev.understudy.alert.AlertName.values()) {
            if (!n.event()) {
                byName.put(n.name(), 0);
            }
        }
        for (String k : firingKeys) {
            byName.merge(k.substring(0, k.indexOf('|')), 1, Integer::sum);
        }
        byName.forEach((n, c) -> m.add("understudy_alerts_firing", l("validator", v, "alertname", n), c));
        return m;
    }

    public String text() {
        StringBuilder b = new StringBuilder();
        help.forEach((name, h) -> {
            if (samples.get(name).isEmpty()) {
                return;
            }
            b.append("# HELP ").append(name).append(' ').append(h[1]).append('\n');
            b.append("# TYPE ").append(name).append(' ').append(h[0]).append('\n');
            samples.get(name).forEach(s -> b.append(s).append('\n'));
        });
        return b.toString();
    }

    public void write(Path file) throws IOException {
        AtomicFiles.createPrivateDirectories(file.toAbsolutePath().getParent());
        AtomicFiles.write(file, text().getBytes(java.nio.charset.StandardCharsets.UTF_8), PosixFilePermissions.fromString("rw-r--r--"));
    }
}
