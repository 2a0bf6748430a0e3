package dev.understudy.simnet.node;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.understudy.simnet.AtomicFiles;
import dev.understudy.simnet.BadInputException;
import dev.understudy.simnet.ConflictException;
import dev.understudy.simnet.Ed25519;
import dev.understudy.simnet.Json;
import dev.understudy.simnet.JsonHttpClient;
import dev.understudy.simnet.Log;
import dev.understudy.simnet.Messages;
import dev.understudy.simnet.chain.Schedule;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * A validator node. Two threads: the signer signs each round by the node's own clock (so a node cut off
 * from the chain keeps signing, as a real one does) and queues the vote; the network thread follows the
 * chain, delivers queued votes (late ones included, as gossip would on reconnect) and does election duty.
 */
public final class Node implements AutoCloseable {
    private static final int MAX_BATCH = 500;
    private static final String CHAIN_CACHE = "chain.json";

    /** Tunables; defaults fit the lab. */
    public record Options(long catchupMs, int syncLagRounds) {
        public static final Options DEFAULT = new Options(0, 2);
    }

    private final NodeHome home;
    private final JsonHttpClient chain;
    private final LongSupplier clock;
    private final Options options;
    private final String signerInstance;
    private final long startedAt;
    private final ScheduledExecutorService signerThread;
    private final ScheduledExecutorService netThread;
    private final ConcurrentLinkedDeque<ObjectNode> queue = new ConcurrentLinkedDeque<>();

    private volatile Schedule schedule;
    /** The stalls written to the chain cache last (null: none written yet). */
    private List<Schedule.Stall> cachedStalls;
    private volatile String chainId;
    private volatile boolean reachable;
    private volatile long lastContactMillis;
    private volatile long firstContactMillis;
    private volatile long lastChainRound = -1;
    private volatile JsonNode lastChainStatus;
    private volatile long lastSignedRound = -1;
    private volatile long lastAcceptedRound = -1;
    private volatile long rejectedVotes;
    private volatile long droppedVotes;
    private volatile String lastRejection;
    private volatile String lastError;
    private volatile long nextBidAttemptMillis;
    /** After joining the genesis period: the first round the chain accepts this validator's votes for. */
    private volatile long joinedFromRound = -1;
    /**
     * When validation was last switched on by the console. The node never signs the round in progress when
     * the process started or when validation was switched on: another signer (this host's previous process,
     * or the previous holder of the key) may have signed that round. A real validator's slashing protection
     * keeps the same rule.
     */
    private volatile long enabledAtMillis;
    /**
     * Given with the last switch-on (-1: none): the node may sign the round in progress after all when that round began
     * at or after this wall-clock time. An agent that takes the signing role over passes the time it first saw the role
     * free, plus a margin for the clocks' difference: every earlier holder had stopped by then, so a round that began
     * later has no other signer. A switch-on that arrives after its join deadline (the holder's fence deadline: the
     * agent was delayed, its lease may be gone) does not join.
     */
    private volatile long joinAfterMillis = -1;
    /**
     * The signing role's epoch this node was last switched on under (0: switched on without one), and the first round
     * that activation allows (the round after the previous holder's last). The node signs only while no higher epoch
     * has been seen — in a later activation or in a vote of this validator on the chain: then another host holds the
     * role, and this one is fenced (the fencing token, checked at the signer).
     */
    private volatile long activeEpoch;
    private volatile long floorRound = -1;
    private volatile String fencedBy;

    public Node(NodeHome home, String chainUrl, LongSupplier clock, Options options) {
        this.home = home;
        this.chain = new JsonHttpClient(chainUrl, Duration.ofMillis(700), Duration.ofMillis(1500));
        this.clock = clock;
        this.options = options;
        byte[] id = new byte[8];
        new SecureRandom().nextBytes(id);
        this.signerInstance = home.validator() + "-" + HexFormat.of().formatHex(id);
        this.startedAt = clock.getAsLong();
        this.signerThread = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "signer"));
        this.netThread = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "net"));
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    public void start() throws IOException {
        Path cache = home.dir().resolve(CHAIN_CACHE);
        if (Files.exists(cache)) {
            try {
                useGenesis(Json.parseObject(Files.readAllBytes(cache), cache.toString()));
            } catch (BadInputException e) {
                Log.info("node", "ignoring cached chain parameters: " + e.getMessage());
            }
        }
        signerThread.scheduleAtFixedRate(this::signTick, 0, 20, TimeUnit.MILLISECONDS);
        netThread.scheduleWithFixedDelay(this::netTick, 0, 50, TimeUnit.MILLISECONDS);
        Log.info("node", "validator " + home.validator() + " signer instance " + signerInstance + " following " + chain.base()
                + " (validation " + (home.validation() ? "enabled" : "disabled") + ", elections "
                + (home.elections() ? "enabled" : "disabled") + ")");
    }

    private void useGenesis(JsonNode g) throws BadInputException {
        String src = "chain parameters";
        Schedule s;
        try {
            s = new Schedule(Json.integer(g, "genesisMillis", src), Json.integer(g, "roundMs", src),
                    (int) Json.integer(g, "periodRounds", src), (int) Json.integer(g, "electionRounds", src),
                    (int) Json.integer(g, "lateHorizonRounds", src), Schedule.stallsOf(g));
        } catch (IllegalArgumentException e) {
            throw new BadInputException(src + ": " + e.getMessage());
        }
        chainId = Json.text(g, "chainId", src);
        schedule = s;
    }

    // ---------------------------------------------------------------- signing (own clock)

    private boolean caughtUp(long now) {
        return firstContactMillis > 0 && now - firstContactMillis >= options.catchupMs();
    }

    private void signTick() {
        try {
            Schedule s = schedule;
            long now = clock.getAsLong();
            if (s == null || !home.validation() || !caughtUp(now)) {
                return;
            }
            long round = s.roundAt(now);
            if (round < 0 || round <= lastSignedRound || round < joinedFromRound || round < notBeforeRound(s)) {
                return;
            }
            long high = home.highestEpoch();
            if (activeEpoch < high) {
                String why = "epoch " + activeEpoch + " is lower than epoch " + high + " seen since: another host holds the signing role";
                if (!why.equals(fencedBy)) {
                    Log.info("node", "not signing: " + why);
                }
                fencedBy = why;
                return;
            }
            long period = s.periodOf(round);
            Ed25519 key = home.keyFor(period);
            if (key == null) {
                return;
            }
            ObjectNode vote = Json.object();
            vote.put("validator", home.validator());
            vote.put("round", round);
            vote.put("period", period);
            vote.put("signer", signerInstance);
            long epoch = activeEpoch;
            if (epoch > 0) {
                vote.put("epoch", epoch);
            }
            vote.put("signature", Base64.getEncoder().encodeToString(
                    key.sign(Messages.vote(chainId, round, period, signerInstance, epoch))));
            queue.addLast(vote);
            lastSignedRound = round;
        } catch (IOException | BadInputException | RuntimeException e) {
            lastError = "signing: " + e.getMessage();
        }
    }

    // ---------------------------------------------------------------- following, delivery, elections

    private long nextPollMillis;

    private void netTick() {
        long now = clock.getAsLong();
        Schedule s = schedule;
        long pollMs = s == null ? 200 : Math.max(50, Math.min(500, s.roundMs() / 3));
        if (now >= nextPollMillis) {
            nextPollMillis = now + pollMs;
            follow(now);
        }
        if (!queue.isEmpty()) {
            flush();
        }
        if (reachable && home.elections() && caughtUp(clock.getAsLong())) {
            electionDuty(clock.getAsLong());
        }
    }

    private void follow(long now) {
        try {
            JsonNode st = chain.get("/status");
            home.bindChain(st.path("chainId").asText());
            if (schedule == null || !st.path("chainId").asText().equals(chainId)) {
                useGenesis(st);
                cachedStalls = null;
            }
            List<Schedule.Stall> stalls = Schedule.stallsOf(st);
            if (!stalls.equals(cachedStalls)) {
                // a stall the chain announced: this node's rounds follow the chain's time (it signs nothing while the
                // chain stands still), and the cache the helper reads periods from says so too
                schedule = schedule.withStalls(stalls);
                ObjectNode g = Json.object();
                for (String f : List.of("chainId", "genesisMillis", "roundMs", "periodRounds", "electionRounds",
                        "lateHorizonRounds", "stalls")) {
                    g.set(f, st.get(f));
                }
                AtomicFiles.write(home.dir().resolve(CHAIN_CACHE), Json.pretty(g));
                if (!stalls.isEmpty() && (cachedStalls == null || !cachedStalls.containsAll(stalls))) {
                    Schedule.Stall last = stalls.get(stalls.size() - 1);
                    Log.info("node", "the chain stalls from " + last.fromMillis() + " for " + last.durationMs() + " ms");
                }
                cachedStalls = stalls;
            }
            lastChainStatus = st;
            lastChainRound = st.path("round").asLong();
            long seen = st.path("epochs").path(home.validator()).asLong(0);
            if (home.raiseEpoch(seen) && seen > activeEpoch && home.validation()) {
                Log.info("node", "the chain shows a vote of " + home.validator() + " under epoch " + seen + ", above this node's "
                        + activeEpoch + ": another host signs; this node stops signing");
            }
            lastContactMillis = now;
            if (firstContactMillis == 0) {
                firstContactMillis = now;
            }
            if (!reachable) {
                Log.info("node", "chain " + chain.base() + " reachable at round " + lastChainRound);
            }
            reachable = true;
        } catch (BadInputException e) {
            lastError = e.getMessage();
            reachable = false;
        } catch (IOException | JsonHttpClient.HttpError e) {
            if (reachable) {
                Log.info("node", "chain " + chain.base() + " unreachable: " + e.getMessage());
            }
            lastError = "chain: " + e.getMessage();
            reachable = false;
        }
    }

    private void flush() {
        Schedule s = schedule;
        long horizonFloor = s == null ? Long.MIN_VALUE : s.roundAt(clock.getAsLong()) - s.lateHorizonRounds();
        for (Iterator<ObjectNode> it = queue.iterator(); it.hasNext(); ) {
            if (it.next().path("round").asLong() < horizonFloor) {
                it.remove();
                droppedVotes++;
            }
        }
        List<ObjectNode> batch = new ArrayList<>();
        for (ObjectNode v : queue) {
            if (batch.size() >= MAX_BATCH) {
                break;
            }
            batch.add(v);
        }
        if (batch.isEmpty()) {
            return;
        }
        ObjectNode body = Json.object();
        ArrayNode votes = body.putArray("votes");
        batch.forEach(votes::add);
        JsonNode res;
        try {
            res = chain.post("/votes", body);
        } catch (IOException e) {
            reachable = false;
            lastError = "delivering votes: " + e.getMessage();
            return;
        } catch (JsonHttpClient.HttpError e) {
            lastError = "delivering votes: HTTP " + e.status() + ": " + e.getMessage();
            if (e.status() == 400) {
                queue.removeAll(batch);
                rejectedVotes += batch.size();
                lastRejection = e.getMessage();
            }
            return;
        }
        JsonNode results = res.path("results");
        for (int i = 0; i < batch.size(); i++) {
            JsonNode r = results.path(i);
            String status = r.path("status").asText();
            if (status.equals("refused")) {
                rejectedVotes++;
                if (!r.path("error").asText().equals(lastRejection)) {
                    Log.info("node", "vote refused by the chain: " + r.path("error").asText());
                }
                lastRejection = r.path("error").asText();
            } else {
                lastAcceptedRound = Math.max(lastAcceptedRound, batch.get(i).path("round").asLong());
            }
        }
        queue.removeAll(batch);
    }

    private void electionDuty(long now) {
        JsonNode st = lastChainStatus;
        Schedule s = schedule;
        if (st == null || s == null || now < nextBidAttemptMillis) {
            return;
        }
        long round = s.roundAt(now);
        JsonNode el = st.path("election");
        long period;
        String chainBid;
        if (el.path("open").asBoolean() && s.electionOpenAt(round) == el.path("forPeriod").asLong()) {
            period = el.path("forPeriod").asLong();
            chainBid = el.path("bids").path(home.validator()).asText(null);
        } else if (el.path("genesisJoinOpen").asBoolean() && s.genesisJoinOpen(round) && !inSet(st.path("currentSet"))) {
            period = 0;
            chainBid = null;
        } else {
            return;
        }
        try {
            Ed25519 wallet = home.wallet();
            if (wallet == null) {
                lastError = "cannot bid for period " + period + ": no wallet key in " + home.dir().resolve(NodeHome.WALLET)
                        + " (import the validator's keys first)";
                nextBidAttemptMillis = now + 5000;
                return;
            }
            Ed25519 key = home.keyFor(period);
            if (key != null && key.keyId().equals(chainBid)) {
                return;
            }
            if (key == null) {
                if (period == 0) {
                    joinedFromRound = Long.MAX_VALUE; // not before the chain says from which round
                }
                key = Ed25519.generate();
                home.addKey(key, period, round, s.periodStart(period + 1) - 1);
                Log.info("node", "new key " + key.keyId() + " for period " + period);
            }
            String msg = Messages.bid(chainId, home.validator(), period, key.publicHex());
            ObjectNode bid = Json.object();
            bid.put("validator", home.validator());
            bid.put("period", period);
            bid.put("key", key.publicHex());
            bid.put("wallet", wallet.publicHex());
            bid.put("walletSignature", Base64.getEncoder().encodeToString(wallet.sign(msg)));
            bid.put("keySignature", Base64.getEncoder().encodeToString(key.sign(msg)));
            JsonNode accepted = chain.post("/bids", bid);
            if (period == 0) {
                joinedFromRound = accepted.path("from").asLong();
            }
            Log.info("node", "bid for period " + period + " with key " + key.keyId() + " accepted");
            nextBidAttemptMillis = now + s.roundMs();
            follow(clock.getAsLong());
        } catch (JsonHttpClient.HttpError e) {
            lastError = "bid for period " + period + " refused: " + e.getMessage();
            Log.info("node", lastError);
            nextBidAttemptMillis = now + Math.max(2000, 5 * s.roundMs());
        } catch (IOException | BadInputException e) {
            lastError = "bid for period " + period + ": " + e.getMessage();
            nextBidAttemptMillis = now + Math.max(1000, s.roundMs());
        }
    }

    private boolean inSet(JsonNode members) {
        for (JsonNode m : members) {
            if (home.validator().equals(m.path("validator").asText())) {
                return true;
            }
        }
        return false;
    }

    // ---------------------------------------------------------------- console operations

    public ObjectNode status() throws IOException, BadInputException {
        long now = clock.getAsLong();
        Schedule s = schedule;
        ObjectNode n = Json.object();
        n.put("validator", home.validator());
        n.put("chainUrl", chain.base());
        n.put("chainId", chainId);
        n.put("signerInstance", signerInstance);
        n.put("startedAtMillis", startedAt);
        n.put("nowMillis", now);
        n.put("reachable", reachable);
        n.put("lastContactMillis", lastContactMillis);
        long local = s == null ? -1 : s.roundAt(now);
        n.put("localRound", local);
        n.put("chainRound", lastChainRound);
        long lag = lastChainRound < 0 ? -1 : Math.max(0, local - lastChainRound);
        n.put("lagRounds", lag);
        boolean caught = caughtUp(now);
        n.put("catchingUp", !caught);
        n.put("synced", caught && lag >= 0 && lag <= options.syncLagRounds());
        n.put("validation", home.validation());
        n.put("elections", home.elections());
        long period = s == null ? -1 : s.periodOf(local);
        Ed25519 key = period < 0 ? null : home.keyFor(period);
        n.put("period", period);
        n.put("currentKeyId", key == null ? null : key.keyId());
        long high = home.highestEpoch();
        n.put("signing", home.validation() && caught && key != null && lastSignedRound >= local - 1 && activeEpoch >= high);
        n.put("epoch", activeEpoch);
        n.put("highestEpoch", high);
        n.put("fencedByEpoch", home.validation() && activeEpoch < high);
        JsonNode st = lastChainStatus;
        // the chain's set is of the chain's period: at a boundary the local round may already be in the next
        // period while the last chain status is still of the one before (it reported "not in the set" then)
        Ed25519 chainKey = s == null || lastChainRound < 0 ? null : home.keyFor(s.periodOf(lastChainRound));
        boolean inSet = false;
        if (st != null && chainKey != null) {
            for (JsonNode m : st.path("currentSet")) {
                inSet |= home.validator().equals(m.path("validator").asText()) && chainKey.keyId().equals(m.path("keyId").asText());
            }
        }
        n.put("inCurrentSet", inSet);
        n.put("lastSignedRound", lastSignedRound);
        n.put("notBeforeRound", s == null ? -1 : notBeforeRound(s));
        n.put("joinAfterMillis", joinAfterMillis);
        n.put("lastAcceptedRound", lastAcceptedRound);
        n.put("queuedVotes", queue.size());
        n.put("rejectedVotes", rejectedVotes);
        n.put("droppedVotes", droppedVotes);
        n.put("lastRejection", lastRejection);
        n.put("lastError", lastError);
        n.set("keys", keys());
        return n;
    }

    public ArrayNode keys() {
        ArrayNode a = Json.MAPPER.createArrayNode();
        home.keys().forEach(e -> a.add(e.json()));
        return a;
    }

    public NodeHome home() {
        return home;
    }

    /** Switches validation on or off; switched on, the node starts with the next round, never the current one. */
    public void setValidation(boolean on) throws IOException, ConflictException {
        setValidation(on, 0, -1, -1, -1);
    }

    /**
     * Switches validation on under a signing role's epoch (0: none) and not before round {@code notBefore} (-1: only
     * the next round rule), or off. An epoch lower than the highest this node has seen is refused: another host has
     * held the role since. With {@code joinAfter} (wall-clock ms, -1: none) the round in progress may be signed when it
     * began at or after that time, if this call comes by {@code joinUntil}.
     */
    public synchronized void setValidation(boolean on, long epoch, long notBefore, long joinAfter, long joinUntil)
            throws IOException, ConflictException {
        if (on) {
            long high = home.highestEpoch();
            if (epoch > 0 && epoch < high) {
                throw new ConflictException("refusing to sign under epoch " + epoch + ": this node has seen epoch " + high
                        + " since (another host has held the signing role)");
            }
            home.raiseEpoch(epoch);
            // switched on again under the same epoch (the holder's agent restarted or re-activated the node): the floor
            // it was given first still holds
            floorRound = epoch == activeEpoch ? Math.max(floorRound, notBefore) : notBefore;
            activeEpoch = epoch;
            fencedBy = null;
            if (!home.validation()) {
                enabledAtMillis = clock.getAsLong();
                joinAfterMillis = joinAfter >= 0 && enabledAtMillis <= joinUntil ? joinAfter : -1;
            }
        }
        home.setValidation(on);
    }

    private long notBeforeRound(Schedule s) {
        long join = joinAfterMillis;
        long next = s.roundAt(enabledAtMillis) + 1;
        // a join time never delays signing past the round after the switch-on
        long enabled = join >= 0 ? Math.min(firstRoundFrom(s, join), next) : next;
        return Math.max(Math.max(s.roundAt(startedAt) + 1, enabled), floorRound);
    }

    /** The first round that begins at or after this wall-clock time. */
    private static long firstRoundFrom(Schedule s, long millis) {
        long r = s.roundAt(millis);
        return r >= 0 && s.roundStartMillis(r) >= millis ? r : r + 1;
    }

    public String signerInstance() {
        return signerInstance;
    }

    @Override
    public void close() {
        signerThread.shutdownNow();
        netThread.shutdownNow();
    }
}
