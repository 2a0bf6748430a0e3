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
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
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
    static final int ON_TIME_ROUNDS = VoteLedger.ON_TIME_ROUNDS;
    private static final int MAX_RANGE = 100_000;

    /** The longest stall the lab may ask for, and how far ahead of its start it is announced (in rounds). */
    static final long MAX_STALL_MS = 600_000;
    static final int STALL_NOTICE_ROUNDS = 2;

    private final Genesis genesis;
    /** Replaced when a stall is recorded (its rounds start later from then on). */
    private Schedule schedule;
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

    private static final class ValidatorState {
        final String name;
        byte[] wallet;
        final VoteLedger votes = new VoteLedger();

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

    public synchronized Schedule schedule() {
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
            case "stall" -> applyStall(r, source);
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
        String status = v.votes.add(round, signer, atRound, r.path("epoch").asLong(0));
        Set<String> signers = v.votes.signers(round);
        if (status.equals("double_sign") && signers.size() == 2) {
            ObjectNode ev = event("double_sign", r);
            ev.put("validator", name).put("round", round).put("period", schedule.periodOf(round));
            ev.set("signers", Json.MAPPER.valueToTree(signers));
        }
        return status;
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

    // ---------------------------------------------------------------- stalls

    /**
     * The network stops producing rounds for {@code ms} (the lab's stand-in for a chain that halts, e.g. with more than
     * a third of the validators offline): the stall starts at the beginning of the round {@link #STALL_NOTICE_ROUNDS}
     * ahead, so that every node following the chain knows of it before it starts; the round that starts then lasts
     * the stall longer, and rounds go on after it. One stall at a time.
     */
    public synchronized ObjectNode stall(JsonNode body) throws BadInputException, IOException {
        String src = "stall request";
        long ms = Json.integer(body, "ms", src);
        if (ms < schedule.roundMs() || ms > MAX_STALL_MS) {
            throw new BadInputException(src + ": field 'ms' must be from one round (" + schedule.roundMs() + ") to " + MAX_STALL_MS
                    + ", got " + ms);
        }
        long now = clock.getAsLong();
        List<Schedule.Stall> all = schedule.stalls();
        if (!all.isEmpty() && all.get(all.size() - 1).toMillis() > now) {
            throw new BadInputException(src + ": a stall is already planned or in progress until "
                    + all.get(all.size() - 1).toMillis());
        }
        long from = schedule.roundStartMillis(Math.max(schedule.roundAt(now), 0) + STALL_NOTICE_ROUNDS);
        ObjectNode r = record("stall", now);
        r.put("fromMillis", from).put("toMillis", from + ms);
        log.append(List.of(r));
        apply(r, "stall");
        ObjectNode res = Json.object();
        res.put("fromMillis", from).put("toMillis", from + ms).put("stalledRound", schedule.roundAt(from));
        return res;
    }

    private void applyStall(JsonNode r, String source) throws BadInputException {
        try {
            schedule = schedule.withStall(new Schedule.Stall(Json.integer(r, "fromMillis", source), Json.integer(r, "toMillis", source)));
        } catch (IllegalArgumentException e) {
            throw new BadInputException(source + ": " + e.getMessage());
        }
        event("stall", r).put("fromMillis", r.path("fromMillis").asLong()).put("toMillis", r.path("toMillis").asLong());
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
        byte[] walletSig = VoteCheck.base64(Json.text(body, "walletSignature", src), "bid field 'walletSignature'");
        byte[] keySig = VoteCheck.base64(Json.text(body, "keySignature", src), "bid field 'keySignature'");
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
                ObjectNode r = VoteCheck.check(vote, src, current, schedule, genesis.chainId(), validators::containsKey,
                        p -> sets.getOrDefault(p, Map.of()), record("vote", now));
                res.put("round", r.get("round").asLong());
                String k = r.get("validator").asText() + "|" + r.get("round").asLong() + "|" + r.get("signer").asText();
                ValidatorState v = validators.get(r.get("validator").asText());
                if (!pending.add(k) || (v != null && v.votes.has(r.get("round").asLong(), r.get("signer").asText()))) {
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
        ArrayNode stalls = n.putArray("stalls");
        schedule.stalls().forEach(st -> stalls.addObject().put("fromMillis", st.fromMillis()).put("toMillis", st.toMillis()));
        n.put("stalled", schedule.stallAt(now) != null);
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
        validators.values().stream().filter(v -> v.votes.highestEpoch() > 0).forEach(v -> epochs.put(v.name, v.votes.highestEpoch()));
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
        n.put("highestEpoch", v.votes.highestEpoch());
        n.put("lastVoteRound", v.votes.lastVoteRound());
        n.put("lastSignedRound", v.votes.lastOnTimeRound());
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
        // A double sign is final the moment its second vote lands, so safety is judged up to the current
        // round, while liveness (signed/missed) is judged only over settled rounds.
        long safetyTo = toRound != null ? toRound : currentRound();
        ObjectNode n = Json.object();
        n.put("validator", name);
        n.put("chainId", genesis.chainId());
        v.votes.summarize(n, from, to, safetyTo, r -> first >= 0 && memberAt(name, r) != null);
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
        ArrayNode out = Json.MAPPER.createArrayNode();
        v.votes.roundsInto(out, Math.max(0, from), Math.min(to, currentRound()), r -> memberAt(name, r) != null, schedule::periodOf);
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
