package dev.understudy.simnet.chain;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.understudy.simnet.BadInputException;
import dev.understudy.simnet.Ed25519;
import dev.understudy.simnet.Json;
import dev.understudy.simnet.Messages;
import dev.understudy.simnet.NotFoundException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.LongSupplier;

/**
 * Everything the chain knows, rebuilt from its records at start and changed only by appending a record
 * first and applying it second. All methods are synchronized: the HTTP threads and the ticker share it.
 */
public final class ChainState {
    /** A vote counts for liveness when it arrives in its own round or the next one; later ones are "late". */
    static final int ON_TIME_ROUNDS = 1;
    private static final int MAX_RANGE = 100_000;

    private final Genesis genesis;
    private final Schedule schedule;
    private final RecordLog log;
    private final LongSupplier clock;

    private final Map<String, ValidatorState> validators = new TreeMap<>();
    private final TreeMap<Long, Map<String, Member>> sets = new TreeMap<>();
    private final Map<Long, Map<String, Member>> bids = new HashMap<>();
    private final Map<String, String> keyOwners = new HashMap<>();
    private long publishedThrough;
    private final List<ObjectNode> events = new ArrayList<>();
    private long refusedVotes;

    record Member(String validator, byte[] key, String keyId, long from) {
        ObjectNode json() {
            ObjectNode n = Json.object();
            n.put("validator", validator);
            n.put("keyId", keyId);
            n.put("key", HexFormat.of().formatHex(key));
            n.put("from", from);
            return n;
        }
    }

    private static final class RoundVotes {
        final Map<String, Long> signers = new LinkedHashMap<>();
        boolean onTime;
    }

    private static final class ValidatorState {
        final String name;
        byte[] wallet;
        final TreeMap<Long, RoundVotes> rounds = new TreeMap<>();
        final List<Long> doubleSignRounds = new ArrayList<>();
        long lateVotes;
        /** The highest signing-role epoch any vote of this validator carried (0: none did). */
        long highestEpoch;

        ValidatorState(String name) {
            this.name = name;
        }
    }

    public ChainState(Genesis genesis, RecordLog log, LongSupplier clock) {
        this.genesis = genesis;
        this.schedule = genesis.schedule();
        this.log = log;
        this.clock = clock;
        sets.put(0L, new TreeMap<>());
    }

    public Schedule schedule() {
        return schedule;
    }

    public synchronized long currentRound() {
        return schedule.roundAt(clock.getAsLong());
    }

    /** Rebuilds state from records read at start; a record that does not make sense names its line. */
    public synchronized void replay(List<JsonNode> records) throws BadInputException {
        int line = 0;
        for (JsonNode r : records) {
            line++;
            apply(r, log.file() + " line " + line);
        }
    }

    // ---------------------------------------------------------------- applying records

    private void apply(JsonNode r, String source) throws BadInputException {
        String type = Json.text(r, "t", source);
        switch (type) {
            case "join", "bid" -> applyBid(r, type, source);
            case "set" -> applySet(r, source);
            case "vote" -> applyVote(r, source);
            default -> throw new BadInputException(source + ": unknown record type '" + type + "'");
        }
    }

    private ValidatorState validator(String name) {
        return validators.computeIfAbsent(name, ValidatorState::new);
    }

    private void applyBid(JsonNode r, String type, String source) throws BadInputException {
        String name = Json.text(r, "validator", source);
        long period = Json.integer(r, "period", source);
        byte[] key = Ed25519.parsePublicHex(Json.text(r, "key", source), source + " field 'key'");
        byte[] wallet = Ed25519.parsePublicHex(Json.text(r, "wallet", source), source + " field 'wallet'");
        ValidatorState v = validator(name);
        if (v.wallet == null) {
            v.wallet = wallet;
        }
        String keyId = Ed25519.keyId(key);
        keyOwners.put(keyId, name + "/" + period);
        ObjectNode ev = event(type, r);
        ev.put("validator", name).put("period", period).put("keyId", keyId);
        if (type.equals("join")) {
            long from = Json.integer(r, "from", source);
            sets.get(0L).put(name, new Member(name, key, keyId, from));
            ev.put("from", from);
        } else {
            bids.computeIfAbsent(period, p -> new TreeMap<>()).put(name,
                    new Member(name, key, keyId, schedule.periodStart(period)));
        }
    }

    private void applySet(JsonNode r, String source) throws BadInputException {
        long period = Json.integer(r, "period", source);
        JsonNode members = r.get("members");
        if (members == null || !members.isArray()) {
            throw new BadInputException(source + ": field 'members' is required (array)");
        }
        Map<String, Member> set = new TreeMap<>();
        for (JsonNode m : members) {
            String name = Json.text(m, "validator", source);
            byte[] key = Ed25519.parsePublicHex(Json.text(m, "key", source), source + " member " + name);
            set.put(name, new Member(name, key, Ed25519.keyId(key), Json.integer(m, "from", source)));
        }
        sets.put(period, set);
        publishedThrough = Math.max(publishedThrough, period);
        ObjectNode ev = event("set_published", r);
        ev.put("period", period);
        ev.set("validators", Json.MAPPER.valueToTree(set.keySet()));
    }

    private String applyVote(JsonNode r, String source) throws BadInputException {
        String name = Json.text(r, "validator", source);
        long round = Json.integer(r, "round", source);
        String signer = Json.text(r, "signer", source);
        long atRound = Json.integer(r, "atRound", source);
        ValidatorState v = validator(name);
        RoundVotes rv = v.rounds.computeIfAbsent(round, k -> new RoundVotes());
        if (rv.signers.containsKey(signer)) {
            return "duplicate";
        }
        v.highestEpoch = Math.max(v.highestEpoch, r.path("epoch").asLong(0));
        rv.signers.put(signer, atRound);
        if (atRound <= round + ON_TIME_ROUNDS) {
            rv.onTime = true;
        } else {
            v.lateVotes++;
        }
        if (rv.signers.size() == 2) {
            v.doubleSignRounds.add(round);
            ObjectNode ev = event("double_sign", r);
            ev.put("validator", name).put("round", round).put("period", schedule.periodOf(round));
            ev.set("signers", Json.MAPPER.valueToTree(rv.signers.keySet()));
            return "double_sign";
        }
        return rv.signers.size() > 2 ? "double_sign" : "accepted";
    }

    private ObjectNode event(String type, JsonNode record) {
        ObjectNode ev = Json.object();
        ev.put("seq", events.size() + 1);
        ev.put("type", type);
        ev.put("at", record.path("at").asLong());
        ev.put("atRound", record.path("atRound").asLong());
        events.add(ev);
        return ev;
    }

    private ObjectNode record(String type, long now) {
        ObjectNode r = Json.object();
        r.put("t", type);
        r.put("at", now);
        r.put("atRound", schedule.roundAt(now));
        return r;
    }

    // ---------------------------------------------------------------- elections

    /** Publishes the result of every election that has closed; called by the ticker and before each read. */
    public synchronized void tick() throws IOException {
        long now = clock.getAsLong();
        long round = schedule.roundAt(now);
        List<ObjectNode> out = new ArrayList<>();
        for (long p = publishedThrough + 1; round >= 0 && schedule.electionCloses(p) <= round; p++) {
            ObjectNode r = record("set", now);
            r.put("period", p);
            ArrayNode members = r.putArray("members");
            for (Member m : bids.getOrDefault(p, Map.of()).values()) {
                ObjectNode mj = members.addObject();
                mj.put("validator", m.validator());
                mj.put("key", HexFormat.of().formatHex(m.key()));
                mj.put("from", m.from());
            }
            out.add(r);
        }
        if (out.isEmpty()) {
            return;
        }
        log.append(out);
        for (ObjectNode r : out) {
            try {
                apply(r, "set record");
            } catch (BadInputException e) {
                throw new IllegalStateException("chain built an invalid set record: " + e.getMessage(), e);
            }
        }
    }

    /** A bid for the next period (or a join of the genesis period); returns what was registered. */
    public synchronized ObjectNode bid(JsonNode body) throws BadInputException, IOException {
        tick();
        String src = "bid";
        String name = Json.text(body, "validator", src);
        long period = Json.integer(body, "period", src);
        String keyHex = Json.text(body, "key", src);
        String walletHex = Json.text(body, "wallet", src);
        byte[] key = Ed25519.parsePublicHex(keyHex, "bid field 'key'");
        byte[] wallet = Ed25519.parsePublicHex(walletHex, "bid field 'wallet'");
        byte[] walletSig = base64(Json.text(body, "walletSignature", src), "bid field 'walletSignature'");
        byte[] keySig = base64(Json.text(body, "keySignature", src), "bid field 'keySignature'");
        long now = clock.getAsLong();
        long round = schedule.roundAt(now);
        boolean join = period == 0;
        if (join) {
            if (!schedule.genesisJoinOpen(round)) {
                throw new BadInputException("bid for period 0: the genesis period is closed to new validators"
                        + " (closed at round " + schedule.electionCloses(1) + ", now round " + round + ")");
            }
            if (sets.get(0L).containsKey(name)) {
                throw new BadInputException("bid for period 0: validator '" + name + "' is already in the genesis set");
            }
        } else if (schedule.electionOpenAt(round) != period) {
            throw new BadInputException("bid for period " + period + ": its election is not open at round " + round
                    + " (it is open for rounds " + schedule.electionOpens(period) + " to "
                    + (schedule.electionCloses(period) - 1) + ")");
        }
        ValidatorState known = validators.get(name);
        if (known != null && known.wallet != null && !Arrays.equals(known.wallet, wallet)) {
            throw new BadInputException("bid for validator '" + name + "': wallet " + walletHex
                    + " is not the validator's registered wallet " + HexFormat.of().formatHex(known.wallet));
        }
        String message = Messages.bid(genesis.chainId(), name, period, keyHex);
        if (!Ed25519.verify(wallet, message, walletSig)) {
            throw new BadInputException("bid for validator '" + name + "': walletSignature does not verify against the wallet key");
        }
        if (!Ed25519.verify(key, message, keySig)) {
            throw new BadInputException("bid for validator '" + name + "': keySignature does not verify against the bid key"
                    + " (the bidder must hold the key it registers)");
        }
        String keyId = Ed25519.keyId(key);
        String owner = keyOwners.get(keyId);
        if (owner != null && !owner.equals(name + "/" + period)) {
            throw new BadInputException("bid for validator '" + name + "': key " + keyId + " is already registered as "
                    + owner + "; each period needs a fresh key");
        }
        ObjectNode r = record(join ? "join" : "bid", now);
        r.put("validator", name).put("period", period).put("key", keyHex.toLowerCase()).put("wallet", walletHex.toLowerCase());
        if (join) {
            r.put("from", round + 1);
        }
        log.append(List.of(r));
        apply(r, "bid");
        ObjectNode res = Json.object();
        res.put("accepted", true).put("validator", name).put("period", period).put("keyId", keyId);
        res.put("from", join ? round + 1 : schedule.periodStart(period));
        return res;
    }

    // ---------------------------------------------------------------- votes

    /** Checks and records a batch of votes; one result per vote, in order. */
    public synchronized ArrayNode votes(JsonNode body) throws BadInputException, IOException {
        tick();
        JsonNode list = body.isArray() ? body : body.get("votes");
        if (list == null || !list.isArray()) {
            throw new BadInputException("votes: expected {\"votes\": [...]} or a JSON array of votes");
        }
        long now = clock.getAsLong();
        long current = schedule.roundAt(now);
        ArrayNode results = Json.MAPPER.createArrayNode();
        List<ObjectNode> records = new ArrayList<>();
        List<ObjectNode> recordResults = new ArrayList<>();
        Set<String> pending = new HashSet<>();
        int i = 0;
        for (JsonNode vote : list) {
            ObjectNode res = results.addObject();
            res.put("index", i);
            String src = "vote " + i;
            i++;
            try {
                ObjectNode r = checkVote(vote, src, current, now);
                res.put("round", r.get("round").asLong());
                String k = r.get("validator").asText() + "|" + r.get("round").asLong() + "|" + r.get("signer").asText();
                ValidatorState v = validators.get(r.get("validator").asText());
                RoundVotes rv = v == null ? null : v.rounds.get(r.get("round").asLong());
                if (!pending.add(k) || (rv != null && rv.signers.containsKey(r.get("signer").asText()))) {
                    res.put("status", "duplicate");
                    continue;
                }
                records.add(r);
                recordResults.add(res);
            } catch (BadInputException e) {
                refusedVotes++;
                res.put("status", "refused");
                res.put("error", e.getMessage());
            }
        }
        log.append(records);
        for (int j = 0; j < records.size(); j++) {
            recordResults.get(j).put("status", apply(records.get(j)));
        }
        return results;
    }

    private String apply(ObjectNode voteRecord) {
        try {
            return applyVote(voteRecord, "vote record");
        } catch (BadInputException e) {
            throw new IllegalStateException("chain built an invalid vote record: " + e.getMessage(), e);
        }
    }

    private ObjectNode checkVote(JsonNode vote, String src, long current, long now) throws BadInputException {
        if (!vote.isObject()) {
            throw new BadInputException(src + ": expected a JSON object, got " + vote.getNodeType());
        }
        String name = Json.text(vote, "validator", src);
        long round = Json.integer(vote, "round", src);
        long period = Json.integer(vote, "period", src);
        String signer = Json.text(vote, "signer", src);
        long epoch = vote.has("epoch") ? Json.integer(vote, "epoch", src) : 0;
        if (epoch < 0) {
            throw new BadInputException(src + ": epoch " + epoch + " is negative");
        }
        if (signer.length() > 64) {
            throw new BadInputException(src + ": field 'signer' is longer than 64 characters");
        }
        byte[] sig = base64(Json.text(vote, "signature", src), src + " field 'signature'");
        if (round < 0) {
            throw new BadInputException(src + ": round " + round + " is negative");
        }
        if (round > current) {
            throw new BadInputException(src + ": round " + round + " is in the future (the chain is at round " + current + ")");
        }
        if (round < current - schedule.lateHorizonRounds()) {
            throw new BadInputException(src + ": round " + round + " is beyond the late-vote horizon ("
                    + schedule.lateHorizonRounds() + " rounds; the chain is at round " + current + ")");
        }
        if (period != schedule.periodOf(round)) {
            throw new BadInputException(src + ": period " + period + " does not match round " + round
                    + " (which is in period " + schedule.periodOf(round) + ")");
        }
        if (!validators.containsKey(name)) {
            throw new BadInputException(src + ": unknown validator '" + name + "'");
        }
        Member m = sets.getOrDefault(period, Map.of()).get(name);
        if (m == null) {
            throw new BadInputException(src + ": validator '" + name + "' is not in the set of period " + period);
        }
        if (round < m.from()) {
            throw new BadInputException(src + ": validator '" + name + "' joined period " + period + " from round "
                    + m.from() + ", not round " + round);
        }
        if (!Ed25519.verify(m.key(), Messages.vote(genesis.chainId(), round, period, signer, epoch), sig)) {
            throw new BadInputException(src + ": signature does not verify against the key registered for validator '"
                    + name + "' in period " + period + " (key " + m.keyId() + ")");
        }
        ObjectNode r = record("vote", now);
        r.put("validator", name).put("round", round).put("period", period).put("signer", signer)
                .put("signature", Base64.getEncoder().encodeToString(sig));
        if (epoch > 0) {
            r.put("epoch", epoch);
        }
        return r;
    }

    private static byte[] base64(String text, String source) throws BadInputException {
        try {
            return Base64.getDecoder().decode(text);
        } catch (IllegalArgumentException e) {
            throw new BadInputException(source + ": not base64: " + e.getMessage(), e);
        }
    }

    // ---------------------------------------------------------------- reads

    public synchronized ObjectNode status() throws IOException {
        tick();
        long now = clock.getAsLong();
        long round = schedule.roundAt(now);
        long period = schedule.periodOf(round);
        ObjectNode n = genesis.toJson();
        n.put("nowMillis", now);
        n.put("round", round);
        n.put("roundStartMillis", schedule.roundStartMillis(Math.max(round, 0)));
        n.put("period", period);
        n.put("periodStartRound", schedule.periodStart(Math.max(period, 0)));
        n.put("periodEndRound", schedule.periodStart(Math.max(period, 0) + 1) - 1);
        ObjectNode el = n.putObject("election");
        long next = Math.max(period, 0) + 1;
        el.put("forPeriod", next);
        el.put("opensAtRound", schedule.electionOpens(next));
        el.put("closesAtRound", schedule.electionCloses(next));
        el.put("open", schedule.electionOpenAt(round) == next);
        el.put("genesisJoinOpen", schedule.genesisJoinOpen(round));
        ObjectNode bidsJson = el.putObject("bids");
        bids.getOrDefault(next, Map.of()).values().forEach(m -> bidsJson.put(m.validator(), m.keyId()));
        ArrayNode cur = n.putArray("currentSet");
        sets.getOrDefault(Math.max(period, 0), Map.of()).values().forEach(m -> cur.add(m.json()));
        ObjectNode nx = n.putObject("nextSet");
        nx.put("period", next);
        nx.put("published", sets.containsKey(next));
        ArrayNode nxm = nx.putArray("members");
        sets.getOrDefault(next, Map.of()).values().forEach(m -> nxm.add(m.json()));
        n.put("records", log.lines());
        n.put("refusedVotes", refusedVotes);
        // the chain does not judge epochs (a real chain knows nothing of them); it shows the highest each validator's
        // votes carried, so a node signing under an older epoch learns that another host holds the role since
        ObjectNode epochs = n.putObject("epochs");
        validators.values().stream().filter(v -> v.highestEpoch > 0).forEach(v -> epochs.put(v.name, v.highestEpoch));
        return n;
    }

    private ValidatorState known(String name) throws NotFoundException {
        ValidatorState v = validators.get(name);
        if (v == null) {
            throw new NotFoundException("unknown validator '" + name + "'");
        }
        return v;
    }

    /** The last round whose votes can no longer turn from missed to signed on time. */
    private long settledRound() {
        return currentRound() - 1 - ON_TIME_ROUNDS;
    }

    private Member memberAt(String name, long round) {
        Member m = sets.getOrDefault(schedule.periodOf(round), Map.of()).get(name);
        return m != null && round >= m.from() ? m : null;
    }

    private long firstRoundInSet(String name) {
        for (Map<String, Member> s : sets.values()) {
            Member m = s.get(name);
            if (m != null) {
                return m.from();
            }
        }
        return -1;
    }

    public synchronized ObjectNode validatorStats(String name) throws NotFoundException, IOException {
        tick();
        ValidatorState v = known(name);
        long round = currentRound();
        long period = schedule.periodOf(round);
        ObjectNode n = summary(name, null, null);
        n.put("wallet", v.wallet == null ? null : HexFormat.of().formatHex(v.wallet));
        Member cur = sets.getOrDefault(period, Map.of()).get(name);
        n.put("inCurrentSet", cur != null);
        n.put("currentKeyId", cur == null ? null : cur.keyId());
        n.put("inNextSet", sets.getOrDefault(period + 1, Map.of()).containsKey(name));
        n.put("highestEpoch", v.highestEpoch);
        Map.Entry<Long, RoundVotes> last = v.rounds.lastEntry();
        n.put("lastVoteRound", last == null ? -1 : last.getKey());
        long lastSigned = -1;
        for (Map.Entry<Long, RoundVotes> e : v.rounds.descendingMap().entrySet()) {
            if (e.getValue().onTime) {
                lastSigned = e.getKey();
                break;
            }
        }
        n.put("lastSignedRound", lastSigned);
        ArrayNode periods = n.putArray("periods");
        sets.forEach((p, s) -> {
            Member m = s.get(name);
            if (m != null) {
                periods.addObject().put("period", p).put("keyId", m.keyId()).put("from", m.from());
            }
        });
        ObjectNode b = n.putObject("bids");
        bids.forEach((p, s) -> {
            Member m = s.get(name);
            if (m != null) {
                b.put(String.valueOf(p), m.keyId());
            }
        });
        return n;
    }

    /**
     * Liveness and safety of one validator over settled rounds [from, to]: rounds in the set, signed on time,
     * missed, the longest run of missed rounds, and every round signed by more than one signer instance.
     */
    public synchronized ObjectNode summary(String name, Long fromRound, Long toRound) throws NotFoundException, IOException {
        tick();
        ValidatorState v = known(name);
        long settled = settledRound();
        long first = firstRoundInSet(name);
        long from = fromRound != null ? Math.max(0, fromRound) : Math.max(0, first);
        long to = toRound != null ? Math.min(toRound, settled) : settled;
        long inSet = 0;
        long signed = 0;
        long missed = 0;
        long gap = 0;
        long longestGap = 0;
        long longestGapStart = -1;
        long lastSigned = -1;
        if (first >= 0) {
            for (long r = from; r <= to; r++) {
                if (memberAt(name, r) == null) {
                    gap = 0;
                    continue;
                }
                inSet++;
                RoundVotes rv = v.rounds.get(r);
                if (rv != null && rv.onTime) {
                    signed++;
                    lastSigned = r;
                    gap = 0;
                } else {
                    missed++;
                    gap++;
                    if (gap > longestGap) {
                        longestGap = gap;
                        longestGapStart = r - gap + 1;
                    }
                }
            }
        }
        ArrayNode dsRounds = Json.MAPPER.createArrayNode();
        Set<String> signers = new java.util.TreeSet<>();
        long late = 0;
        // A double sign is final the moment its second vote lands, so safety is judged up to the current
        // round, while liveness (signed/missed) is judged only over settled rounds.
        long safetyTo = toRound != null ? toRound : currentRound();
        for (Map.Entry<Long, RoundVotes> e : v.rounds.subMap(from, true, Math.max(from, safetyTo), true).entrySet()) {
            signers.addAll(e.getValue().signers.keySet());
            if (e.getValue().signers.size() > 1) {
                dsRounds.add(e.getKey());
            }
            for (long at : e.getValue().signers.values()) {
                if (at > e.getKey() + ON_TIME_ROUNDS) {
                    late++;
                }
            }
        }
        ObjectNode n = Json.object();
        n.put("validator", name);
        n.put("chainId", genesis.chainId());
        n.put("fromRound", from);
        n.put("toRound", to);
        n.put("roundsInSet", inSet);
        n.put("signedRounds", signed);
        n.put("missedRounds", missed);
        n.put("longestGapRounds", longestGap);
        n.put("longestGapStartRound", longestGapStart);
        n.put("lastSignedRoundInRange", lastSigned);
        n.put("safetyToRound", safetyTo);
        n.put("doubleSigns", dsRounds.size());
        ArrayNode shown = n.putArray("doubleSignRounds");
        for (int i = 0; i < Math.min(dsRounds.size(), 100); i++) {
            shown.add(dsRounds.get(i));
        }
        n.put("lateVotes", late);
        n.set("signerInstances", Json.MAPPER.valueToTree(signers));
        return n;
    }

    public synchronized ArrayNode rounds(String name, long from, long to) throws NotFoundException, BadInputException, IOException {
        tick();
        ValidatorState v = known(name);
        if (to < from) {
            throw new BadInputException("rounds: 'to' (" + to + ") is before 'from' (" + from + ")");
        }
        if (to - from + 1 > MAX_RANGE) {
            throw new BadInputException("rounds: at most " + MAX_RANGE + " rounds per query, asked for " + (to - from + 1));
        }
        long current = currentRound();
        ArrayNode out = Json.MAPPER.createArrayNode();
        for (long r = Math.max(0, from); r <= Math.min(to, current); r++) {
            ObjectNode n = out.addObject();
            n.put("round", r);
            n.put("period", schedule.periodOf(r));
            n.put("inSet", memberAt(name, r) != null);
            RoundVotes rv = v.rounds.get(r);
            ArrayNode s = n.putArray("signers");
            if (rv != null) {
                rv.signers.forEach((signer, at) -> s.addObject().put("signer", signer).put("atRound", at));
            }
            n.put("onTime", rv != null && rv.onTime);
            n.put("doubleSign", rv != null && rv.signers.size() > 1);
        }
        return out;
    }

    public synchronized ArrayNode events(long since, int limit) throws IOException {
        tick();
        ArrayNode out = Json.MAPPER.createArrayNode();
        for (int i = (int) Math.max(0, since); i < events.size() && out.size() < limit; i++) {
            out.add(events.get(i));
        }
        return out;
    }
}
