package dev.understudy.simnet.chain;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.understudy.simnet.AtomicFiles;
import dev.understudy.simnet.BadInputException;
import dev.understudy.simnet.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;

/** The chain's identity and timetable, written once to {@code genesis.json} and never changed. */
public final class Genesis {
    public static final String FILE = "genesis.json";

    private final String chainId;
    private final Schedule schedule;

    public Genesis(String chainId, Schedule schedule) {
        this.chainId = chainId;
        this.schedule = schedule;
    }

    public String chainId() {
        return chainId;
    }

    public Schedule schedule() {
        return schedule;
    }

    /** Parameters given on the command line; null means "not given, use the stored or default value". */
    public record Requested(Long roundMs, Integer periodRounds, Integer electionRounds, Integer lateHorizonRounds) {
        long roundMsOr(long d) {
            return roundMs == null ? d : roundMs;
        }

        int periodRoundsOr(int d) {
            return periodRounds == null ? d : periodRounds;
        }

        int electionRoundsOr(int d) {
            return electionRounds == null ? d : electionRounds;
        }

        int lateHorizonRoundsOr(int d) {
            return lateHorizonRounds == null ? d : lateHorizonRounds;
        }
    }

    /** Loads DIR/genesis.json, or creates it starting now when the directory holds no chain yet. */
    public static Genesis loadOrCreate(Path dir, Requested req, long nowMillis) throws IOException, BadInputException {
        Path file = dir.resolve(FILE);
        if (Files.exists(file)) {
            Genesis g = parse(Files.readAllBytes(file), file.toString());
            Schedule s = g.schedule;
            mustMatch(file, "round-ms", req.roundMs, s.roundMs());
            mustMatch(file, "period-rounds", req.periodRounds, s.periodRounds());
            mustMatch(file, "election-rounds", req.electionRounds, s.electionRounds());
            mustMatch(file, "late-horizon-rounds", req.lateHorizonRounds, s.lateHorizonRounds());
            return g;
        }
        Schedule s;
        try {
            s = new Schedule(nowMillis, req.roundMsOr(1000), req.periodRoundsOr(120), req.electionRoundsOr(40),
                    req.lateHorizonRoundsOr(300));
        } catch (IllegalArgumentException e) {
            throw new BadInputException(e.getMessage(), e);
        }
        byte[] id = new byte[4];
        new SecureRandom().nextBytes(id);
        Genesis g = new Genesis("simnet-" + HexFormat.of().formatHex(id), s);
        AtomicFiles.write(file, Json.pretty(g.toJson()), AtomicFiles.OWNER_ONLY);
        return g;
    }

    private static void mustMatch(Path file, String option, Number requested, long stored) throws BadInputException {
        if (requested != null && requested.longValue() != stored) {
            throw new BadInputException(file + " fixes " + option + " at " + stored + " but --" + option + " "
                    + requested + " was given: a chain's schedule cannot change; omit the option or use a new --data directory");
        }
    }

    static Genesis parse(byte[] bytes, String source) throws BadInputException {
        JsonNode n = Json.parseObject(bytes, source);
        try {
            Schedule s = new Schedule(Json.integer(n, "genesisMillis", source), Json.integer(n, "roundMs", source),
                    (int) Json.integer(n, "periodRounds", source), (int) Json.integer(n, "electionRounds", source),
                    (int) Json.integer(n, "lateHorizonRounds", source));
            return new Genesis(Json.text(n, "chainId", source), s);
        } catch (IllegalArgumentException e) {
            throw new BadInputException(source + ": " + e.getMessage(), e);
        }
    }

    public ObjectNode toJson() {
        ObjectNode n = Json.object();
        n.put("chainId", chainId);
        n.put("genesisMillis", schedule.genesisMillis());
        n.put("roundMs", schedule.roundMs());
        n.put("periodRounds", schedule.periodRounds());
        n.put("electionRounds", schedule.electionRounds());
        n.put("lateHorizonRounds", schedule.lateHorizonRounds());
        return n;
    }
}
