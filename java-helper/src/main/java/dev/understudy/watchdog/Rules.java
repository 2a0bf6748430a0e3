package dev.understudy.watchdog;

import com.fasterxml.jackson.databind.JsonNode;
import dev.understudy.alert.Alert;
import dev.understudy.alert.AlertName;
import dev.understudy.node.Evidence;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The watchdog's judgement: from one {@link Observation} and what it remembers, the alerts active now, the
 * memory for the next check, and whether to ask the holder to step down. Pure: no I/O, so every condition is
 * tested directly (RulesTest).
 */
public final class Rules {
    /** How long FAILOVER_COMPLETED waits for the new holder's first vote before it goes out without it. */
    static final long REPORT_WAIT_MS = 60_000;
    /** How long two hosts may both report signing before it counts (a handover's overlap of status reports). */
    static final long HANDOVER_OVERLAP_MS = 1000;
    /** Events (a takeover, a refused bundle) older than this are not reported any more. */
    static final long EVENT_WINDOW_MS = 3_600_000;

    private Rules() {
    }

    /** The verdict of one check. {@code demoteReason} is null unless the holder should be asked to step down. */
    public record Verdict(List<Alert> alerts, String demoteReason) {
    }

    public static Verdict evaluate(Observation o, WatchState s, WatchdogSettings cfg) {
        List<Alert> out = new ArrayList<>();
        String v = o.validator();
        long stale = cfg.statusStale().toMillis();
        Evidence ev = o.evidence();

        if (!o.etcdReachable()) {
            out.add(Alert.of(AlertName.ETCD_DEGRADED, v, "", "no etcd member answers (or there is no quorum): no host can take the signing role; the holder signs on only while every other agent answers it (failsafe)")
                    .severity("critical").with("error", o.etcdError()));
        } else if (o.etcdAnswering() < o.etcdMembers()) {
            out.add(Alert.of(AlertName.ETCD_DEGRADED, v, "", o.etcdAnswering() + " of " + o.etcdMembers() + " etcd members answer"));
        }

        Set<String> signingHosts = new HashSet<>();
        for (Observation.HostView h : o.hosts()) {
            if (h.fresh(stale) && h.flag("signing")) {
                signingHosts.add(h.host());
            }
        }
        if (ev != null) {
            long silentRounds = ev.chainRound() - ev.lastVoteRound();
            long silentMs = silentRounds * ev.roundMs();
            if (ev.inCurrentSet() && !ev.signedRecently() && silentMs >= cfg.noSigner().toMillis()) {
                out.add(Alert.of(AlertName.NO_SIGNER, v, "", "the validator is in the current set and no vote reached the chain for "
                        + silentRounds + " rounds (" + silentMs / 1000 + " s; last vote at round " + ev.lastVoteRound() + ", chain at "
                        + ev.chainRound() + ")").with("holder", o.holder() == null ? "none" : o.holder()));
            }
            // two votes for one round: in the window, or recorded since the last check (late votes of a host that was
            // cut off, or a double sign between two looks of a watchdog run from cron)
            long newSinceLastCheck = s.lastDoubleSigns >= 0 ? ev.totalDoubleSigns() - s.lastDoubleSigns : 0;
            if (ev.recentDoubleSigns() > 0 || newSinceLastCheck > 0) {
                out.add(Alert.of(AlertName.TWO_SIGNERS, v, "", "the chain recorded " + Math.max(ev.recentDoubleSigns(), newSinceLastCheck)
                        + " double sign(s) of the validator key since the last check (" + ev.recentSigners() + " signer instance(s) in the last "
                        + ev.windowRounds() + " rounds)").with("double signs in total", ev.totalDoubleSigns())
                        .with("signing hosts (their own view)", String.join(", ", signingHosts)));
            }
        }
        // the hosts' own view: in a handover the old holder's last report can say "signing" for up to a second after
        // the new holder's first; only a second look that still sees two counts (the chain's record needs no wait)
        long now = o.at().toEpochMilli();
        if (signingHosts.size() < 2) {
            s.bothSigningSinceMs = -1;
        } else if (s.bothSigningSinceMs < 0) {
            s.bothSigningSinceMs = now;
        }
        if (s.bothSigningSinceMs >= 0 && now - s.bothSigningSinceMs >= HANDOVER_OVERLAP_MS
                && out.stream().noneMatch(a -> a.name() == AlertName.TWO_SIGNERS)) {
            out.add(Alert.of(AlertName.TWO_SIGNERS, v, "", "hosts " + String.join(", ", signingHosts) + " each report their node signing"
                    + " (for " + (now - s.bothSigningSinceMs) / 1000 + " s)"));
        }
        if (ev != null && ev.inCurrentSet()) {
            // the chain's view: only the holder may sign, so a holding main whose key is heard on the chain signs
            boolean mainSigns = o.mainHost().equals(o.holder()) && ev.signedRecently();
            if (!mainSigns) {
                out.add(Alert.of(AlertName.MAIN_NOT_SIGNING, v, o.mainHost(), o.mainHost() + " is not the host signing for " + v
                        + " (holder: " + (o.holder() == null ? "none" : o.holder()) + (o.mainHost().equals(o.holder())
                        ? "; no vote reached the chain for " + ev.windowRounds() + " rounds" : "") + ")"));
            }
        }

        // a failover is under way when the signer went quiet on the chain, or the role was given up, and it ends
        // when votes arrive again (FAILOVER_COMPLETED tells who took over and what it cost)
        boolean quiet = ev != null && ev.inCurrentSet() && !ev.signedRecently();
        boolean roleLost = o.etcdReachable() && o.holder() == null && s.lastHolder != null && (ev == null || ev.inCurrentSet());
        if (quiet || roleLost) {
            String was = o.holder() != null ? o.holder() : s.lastHolder;
            out.add(Alert.of(AlertName.FAILOVER_STARTED, v, "", (roleLost ? was + " no longer holds the signing role (epoch "
                    + s.lastEpoch + ") and no host holds it yet" : "no vote of " + v + " reached the chain for " + ev.windowRounds()
                    + " rounds (holder: " + (o.holder() == null ? "none" : o.holder()) + ")")
                    + "; a standby takes over once the role is free and the chain has been quiet for the takeover rounds"));
        }
        // Events are produced for as long as they are recent, and the dispatcher sends each once: a send that
        // failed is retried at the next check, and a watchdog that was down still reports what it missed.
        JsonNode r = o.lastReport();
        if (r != null && "failover".equals(r.path("kind").asText()) && o.at().toEpochMilli() - r.path("acquiredAtMs").asLong() < EVENT_WINDOW_MS) {
            // wait (up to REPORT_WAIT) for the new holder's first vote, so the report carries the time to it
            if (r.has("firstSignedObservedAtMs") || o.at().toEpochMilli() - r.path("acquiredAtMs").asLong() > REPORT_WAIT_MS) {
                out.add(completed(v, r));
            }
        }

        for (Observation.HostView h : o.hosts()) {
            JsonNode refused = h.fresh(stale) ? h.status().path("push").path("refused") : null;
            if (refused != null) {
                refused.fields().forEachRemaining(e -> out.add(Alert.of(AlertName.PUSH_REFUSED, v, h.host() + "->" + e.getKey(),
                        h.host() + " refuses to send keys to " + e.getKey() + ": " + e.getValue().path("message").asText())));
            }
        }
        for (Observation.HostView h : o.hosts()) {
            if (h.host().equals(o.holder())) {
                // the holder made the keys; its grace starts afresh when it becomes a standby
                s.keysMissingSinceMs.keySet().removeIf(k -> k.startsWith(h.host() + "|"));
                continue;
            }
            List<String> problems = new ArrayList<>();
            if (!h.fresh(stale)) {
                problems.add(h.status() == null ? "its agent publishes no status" : "its agent has been silent for " + h.statusAgeMs() / 1000 + " s");
            } else {
                if (!h.flag("synced")) {
                    problems.add("its node is out of sync (" + h.status().path("lagRounds").asText("?") + " rounds behind)");
                }
                if (h.status().has("nodeError")) {
                    problems.add("its node does not answer: " + h.status().path("nodeError").asText());
                }
                if (h.flag("cooldown")) {
                    problems.add("it is cooling down after giving the role up");
                }
            }
            if (!h.sshUp()) {
                problems.add("unreachable over SSH (" + h.sshError() + ")");
            }
            if (!problems.isEmpty()) {
                out.add(Alert.of(AlertName.BACKUP_UNHEALTHY, v, h.host(), h.host() + " could not take over now: " + String.join("; ", problems)));
            }
            if (h.fresh(stale) && ev != null) {
                keys(out, s, o, h, "current", ev.inCurrentSet(), cfg);
                keys(out, s, o, h, "next", ev.inNextSet(), cfg);
            }
            JsonNode last = h.status() == null ? null : h.status().path("bundles").get("lastRejection");
            if (last != null && last.has("at")) {
                long at = epochMs(last.path("at").asText());
                if (o.at().toEpochMilli() - at < EVENT_WINDOW_MS) {
                    out.add(Alert.of(AlertName.BUNDLE_REJECTED, v, h.host() + " " + last.path("at").asText(), h.host() + " refused a key bundle: "
                            + last.path("reason").asText("?") + " — " + last.path("message").asText("")).with("quarantined",
                            h.status().path("bundles").path("quarantined").asLong()));
                }
            }
        }

        String demote = null;
        if (o.holder() != null && ev != null && ev.inCurrentSet() && o.epoch() != s.demotedEpoch) {
            Observation.HostView holder = o.host(o.holder());
            // a holder that is new since the last check is not judged yet; after that, count from the last vote
            boolean newHolder = s.lastEpoch != o.epoch();
            long silent = newHolder ? 0 : ev.chainRound() - ev.lastVoteRound();
            if (holder != null && holder.fresh(stale) && silent >= cfg.demoteAfterRounds()) {
                demote = o.holder() + " holds the role (epoch " + o.epoch() + ") but the chain saw no vote for " + silent + " rounds";
            }
        }
        return new Verdict(pending(out, s, o, cfg), demote);
    }

    /**
     * Warnings must last {@code warning_pending_s} before they count (a status published late or a node lagging
     * for a moment is not worth a page); critical alerts and events count at once.
     */
    static List<Alert> pending(List<Alert> all, WatchState s, Observation o, WatchdogSettings cfg) {
        long now = o.at().toEpochMilli();
        Set<String> seen = new HashSet<>();
        List<Alert> out = new ArrayList<>();
        for (Alert a : all) {
            // KEYS_MISSING_FOR_PERIOD has waited keys_grace_s already
            if (!"warning".equals(a.severity()) || a.name().event() || a.name() == AlertName.KEYS_MISSING_FOR_PERIOD) {
                out.add(a);
                continue;
            }
            seen.add(a.key());
            long since = s.pendingSinceMs.computeIfAbsent(a.key(), k -> now);
            if (now - since >= cfg.warningPending().toMillis()) {
                out.add(a);
            }
        }
        s.pendingSinceMs.keySet().retainAll(seen);
        return out;
    }

    private static void keys(List<Alert> out, WatchState s, Observation o, Observation.HostView h, String which, boolean needed,
            WatchdogSettings cfg) {
        String k = h.host() + "|" + which;
        // a host whose node does not know the period yet is BACKUP_UNHEALTHY, not missing keys for period -1
        boolean known = h.status().path(which.equals("current") ? "currentPeriod" : "nextPeriod").asLong(-1) >= 0;
        boolean missing = needed && known && !h.status().path("keys").path(which).asBoolean(false);
        if (!missing) {
            s.keysMissingSinceMs.remove(k);
            return;
        }
        long since = s.keysMissingSinceMs.computeIfAbsent(k, x -> o.at().toEpochMilli());
        if (o.at().toEpochMilli() - since >= cfg.keysGrace().toMillis()) {
            long period = h.status().path(which.equals("current") ? "currentPeriod" : "nextPeriod").asLong(-1);
            JsonNode behind = h.status().path("keys").path(which + "Behind");
            String what = behind.isTextual() ? h.host() + ": " + behind.asText()
                    : h.host() + " holds no verified keys for the " + which + " period " + period;
            out.add(Alert.of(AlertName.KEYS_MISSING_FOR_PERIOD, o.validator(), h.host() + "#" + which,
                    what + " (missing for " + (o.at().toEpochMilli() - since) / 1000 + " s)").with("period", period));
        }
    }

    /** An ISO-8601 instant in ms; an unreadable one counts as now (a rejection is reported rather than lost). */
    private static long epochMs(String iso) {
        try {
            return java.time.Instant.parse(iso).toEpochMilli();
        } catch (java.time.format.DateTimeParseException e) {
            return System.currentTimeMillis();
        }
    }

    static Alert completed(String v, JsonNode r) {
        Alert a = Alert.of(AlertName.FAILOVER_COMPLETED, v, "epoch " + r.path("epoch").asLong(), r.path("host").asText()
                + " took the signing role from " + r.path("previousHolder").asText("?") + " (epoch " + r.path("epoch").asLong() + ")");
        long roundMs = r.path("roundMs").asLong(0);
        long prevVote = r.path("previousLastVoteRound").asLong(-1);
        long acquiredRound = r.path("acquiredAtRound").asLong(-1);
        if (prevVote >= 0 && acquiredRound >= 0) {
            a = a.with("detection", (acquiredRound - prevVote) + " rounds" + (roundMs > 0 ? " (" + (acquiredRound - prevVote) * roundMs / 1000.0 + " s)" : ""));
        }
        if (r.has("firstSignedObservedAtMs")) {
            a = a.with("time to first signature", (r.path("firstSignedObservedAtMs").asLong() - r.path("acquiredAtMs").asLong()) + " ms");
        }
        if (r.has("roundsLost")) {
            a = a.with("rounds lost", r.path("roundsLost").asLong());
        }
        return a;
    }

    /** What the next check remembers from this one. */
    public static void remember(Observation o, WatchState s, String demoted) {
        if (o.etcdReachable()) {
            s.lastHolder = o.holder();
            s.lastEpoch = o.holder() == null ? s.lastEpoch : o.epoch();
        }
        if (demoted != null) {
            s.demotedEpoch = o.epoch();
        }
        if (o.evidence() != null) {
            s.lastDoubleSigns = o.evidence().totalDoubleSigns();
        }
    }
}
