package dev.understudy.node.command;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.understudy.cli.BadInputException;
import dev.understudy.common.Command;
import dev.understudy.config.Section;
import dev.understudy.node.Activation;
import dev.understudy.node.Evidence;
import dev.understudy.node.EvidenceJson;
import dev.understudy.node.Fields;
import dev.understudy.node.KeyFile;
import dev.understudy.node.KeySet;
import dev.understudy.node.NodeAdapter;
import dev.understudy.node.NodeException;
import dev.understudy.node.NodeStatus;
import dev.understudy.node.PeriodKeys;
import dev.understudy.node.Program;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A node Understudy does not know, driven by the operator's commands (docs/adapters.md#command). Each operation is
 * an argv from the config, run without a shell with a timeout; placeholders {@code {rounds}}, {@code {dir}},
 * {@code {election_duty}}, {@code {epoch}}, {@code {not_before_round}}, {@code {join_after_ms}} and
 * {@code {join_until_ms}} in arguments are replaced. Exit 0 is success; for {@code signing} exit 1 means "not
 * signing" and for {@code standby_start} exit 1 means "this node cannot start without signing"; any other exit,
 * a timeout or output that is not the documented JSON is an error naming the operation, the command and the
 * field — and for the agent, doubt, which never leads to signing.
 */
public final class CommandAdapter implements NodeAdapter {
    /** The operations, as named in the config. */
    static final List<String> OPERATIONS = List.of("status", "signing", "evidence", "key_files", "install", "activate", "deactivate",
            "standby_start");

    /** The agent's periodic checks run the status and signing programs at most this often, unless configured. */
    static final Duration DEFAULT_CHECK_INTERVAL = Duration.ofSeconds(1);

    private final Path keyDir;
    private final Map<String, Program> programs;
    private final Duration checkInterval;

    CommandAdapter(Path keyDir, Map<String, Program> programs, Duration checkInterval) {
        this.keyDir = keyDir;
        this.programs = Map.copyOf(programs);
        this.checkInterval = checkInterval;
    }

    public static CommandAdapter fromConfig(String validator, Section c) throws BadInputException {
        Path keyDir = c.path("key_dir");
        Duration timeout = Duration.ofMillis(c.integer("timeout_ms", 10_000, 100, 600_000));
        Duration checkInterval = Duration.ofMillis(c.integer("check_interval_ms", DEFAULT_CHECK_INTERVAL.toMillis(), 0, 60_000));
        Map<String, Program> programs = new LinkedHashMap<>();
        for (String op : OPERATIONS) {
            programs.put(op, Program.fromConfig(c, op, "command adapter, " + op, timeout,
                    Map.of("UNDERSTUDY_VALIDATOR", validator, "UNDERSTUDY_OPERATION", op)));
        }
        c.done();
        return new CommandAdapter(keyDir, programs, checkInterval);
    }

    @Override
    public String kind() {
        return "command";
    }

    private Command.Result run(String op, Map<String, String> values) throws NodeException {
        return programs.get(op).result(List.of(), values);
    }

    private String source(String op) {
        return programs.get(op).source();
    }

    /** Runs an operation that answers JSON on exit 0. */
    private ObjectNode json(String op, Map<String, String> values) throws NodeException {
        return Fields.object(programs.get(op).output(List.of(), values), source(op));
    }

    /** Runs an operation whose exit code is its answer: 0 done. */
    private void act(String op, Map<String, String> values) throws NodeException {
        programs.get(op).output(List.of(), values);
    }

    @Override
    public NodeStatus status() throws NodeException {
        ObjectNode s = json("status", Map.of());
        String src = source("status");
        String detail = s.has("detail") ? Fields.text(s, "detail", src) : "";
        long lastSigned = s.has("last_signed_round") ? Fields.integer(s, "last_signed_round", src) : -1;
        return new NodeStatus(Fields.bool(s, "synced", src), Fields.integer(s, "lag_rounds", src), Fields.integer(s, "round", src),
                Fields.integer(s, "current_period", src), Fields.integer(s, "next_period", src), Fields.bool(s, "validation", src), detail,
                lastSigned);
    }

    /** Runs an operation whose exit code answers yes (0) or no (1); anything else is an error. */
    private boolean yesNo(String op) throws NodeException {
        Command.Result r = run(op, Map.of());
        return switch (r.exit()) {
            case 0 -> true;
            case 1 -> false;
            default -> throw programs.get(op).failed(r);
        };
    }

    @Override
    public boolean signing() throws NodeException {
        return yesNo("signing");
    }

    @Override
    public Evidence evidence(int rounds) throws NodeException {
        return EvidenceJson.run(programs.get("evidence"), rounds);
    }

    @Override
    public KeySet keyFiles() throws NodeException {
        ObjectNode k = json("key_files", Map.of());
        String src = source("key_files");
        List<KeyFile> files = new ArrayList<>();
        for (JsonNode f : array(k, "files", src)) {
            String path = Fields.text(f, "path", src + " files[]");
            String modeText = Fields.text(f, "mode", src + " files[" + path + "]");
            if (!modeText.matches("0?[0-7]{3}")) {
                throw NodeException.badOutput(src + ": files[" + path + "].mode: expected an octal mode like \"0600\", got '" + modeText + "'");
            }
            Path file = keyDir.resolve(path).normalize();
            if (path.startsWith("/") || !file.startsWith(keyDir.normalize())) {
                throw NodeException.badOutput(src + ": files[].path '" + path + "' must be relative to " + keyDir + " without '..'");
            }
            try {
                files.add(new KeyFile(path, Integer.parseInt(modeText, 8), Files.readAllBytes(file)));
            } catch (IOException e) {
                throw NodeException.unavailable(src + ": files[].path '" + path + "': cannot read " + file + ": " + e.getMessage(), e);
            }
        }
        List<PeriodKeys> periods = new ArrayList<>();
        for (JsonNode p : array(k, "periods", src)) {
            List<String> ids = new ArrayList<>();
            for (JsonNode id : array(p, "key_ids", src + " periods[]")) {
                if (!id.isTextual()) {
                    throw NodeException.badOutput(src + ": periods[].key_ids: expected strings, got " + id);
                }
                ids.add(id.asText());
            }
            periods.add(new PeriodKeys(Fields.integer(p, "period", src + " periods[]"), ids));
        }
        return new KeySet(files, periods);
    }

    private static Iterable<JsonNode> array(JsonNode n, String field, String src) throws NodeException {
        JsonNode v = n.get(field);
        if (v == null || !v.isArray()) {
            throw NodeException.badOutput(src + ": field '" + field + "' missing or not a list");
        }
        return v;
    }

    @Override
    public void install(Path dir) throws NodeException {
        act("install", Map.of("dir", dir.toString()));
    }

    @Override
    public void activate(Activation a) throws NodeException {
        act("activate", Map.of("election_duty", Boolean.toString(a.electionDuty()), "epoch", Long.toString(a.epoch()),
                "not_before_round", Long.toString(a.notBeforeRound()), "join_after_ms", Long.toString(a.joinAfterMs()), "join_until_ms", Long.toString(a.joinUntilMs())));
    }

    @Override
    public Duration checkInterval() {
        return checkInterval;
    }

    @Override
    public java.time.Duration deactivationBudget() {
        // the deactivate program, then the signing program
        return programs.get("deactivate").timeout().plus(programs.get("signing").timeout());
    }

    @Override
    public void deactivate() throws NodeException {
        act("deactivate", Map.of());
    }

    @Override
    public boolean prepareStandbyStart() throws NodeException {
        return yesNo("standby_start");
    }
}
