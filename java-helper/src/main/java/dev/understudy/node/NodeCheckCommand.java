package dev.understudy.node;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.understudy.cli.BadInputException;
import dev.understudy.cli.BaseCommand;
import dev.understudy.cli.Exit;
import dev.understudy.cli.Io;
import dev.understudy.cli.Options;
import dev.understudy.common.Json;
import dev.understudy.config.Config;

/**
 * {@code node check}: asks this host's node adapter each read-only question once — status, signing, the chain's
 * view, the key files — and prints the answers, or for each one that failed the error naming its source. For an
 * operator setting an adapter up (console paths and ports, the lite client, the evidence command, the election
 * files): it changes nothing on the node, and key files are listed by path, mode and size, never their content.
 */
public final class NodeCheckCommand extends BaseCommand {
    @Override
    public String name() {
        return "node check";
    }

    @Override
    public String summary() {
        return "ask the node adapter's read-only operations once (status, signing, evidence, key files); exit 1 naming any that failed";
    }

    @Override
    protected org.apache.commons.cli.Options options() {
        return new org.apache.commons.cli.Options().addOption(Options.config())
                .addOption(Options.value("rounds", "N", "the evidence window (default: coordination.takeover_rounds)"))
                .addOption(Options.flag("json", "print one JSON object"));
    }

    @Override
    protected int execute(Options o, Io io) throws Exception {
        Config c = Config.load(o.configPath());
        if (!c.hasNode()) {
            throw new BadInputException(o.configPath() + ": node: not configured on this host (the monitor has none unless given one)");
        }
        int rounds = o.has("rounds") ? (int) o.longValue("rounds", 0) : c.coordination().takeoverRounds();
        if (rounds < 1 || rounds > 1000) {
            throw new BadInputException("--rounds: expected 1 to 1000, got " + rounds);
        }
        NodeAdapter a = NodeAdapters.create(c);
        ObjectNode out = Json.object().put("adapter", a.kind());
        ObjectNode failed = Json.object();
        try {
            NodeStatus s = a.status();
            out.putObject("status").put("synced", s.synced()).put("lagRounds", s.lagRounds()).put("round", s.round())
                    .put("currentPeriod", s.currentPeriod()).put("nextPeriod", s.nextPeriod())
                    .put("validationEnabled", s.validationEnabled()).put("detail", s.detail());
        } catch (NodeException e) {
            failed.put("status", e.getMessage());
        }
        try {
            out.put("signing", a.signing());
        } catch (NodeException e) {
            failed.put("signing", e.getMessage());
        }
        try {
            Evidence e = a.evidence(rounds);
            out.putObject("evidence").put("windowRounds", e.windowRounds()).put("signedRecently", e.signedRecently())
                    .put("lastVoteRound", e.lastVoteRound()).put("chainRound", e.chainRound()).put("inCurrentSet", e.inCurrentSet())
                    .put("inNextSet", e.inNextSet()).put("recentSigners", e.recentSigners()).put("totalDoubleSigns", e.totalDoubleSigns())
                    .put("roundMs", e.roundMs());
        } catch (NodeException e) {
            failed.put("evidence", e.getMessage());
        }
        try {
            KeySet k = a.keyFiles();
            ObjectNode keyFiles = out.putObject("keyFiles");
            ArrayNode files = keyFiles.putArray("files");
            k.files().forEach(f -> files.addObject().put("path", f.path()).put("mode", String.format("%04o", f.mode()))
                    .put("bytes", f.content().length));
            ArrayNode periods = keyFiles.putArray("periods");
            k.periods().forEach(p -> periods.addObject().put("period", p.period()).set("keyIds", Json.MAPPER.valueToTree(p.keyIds())));
        } catch (NodeException e) {
            failed.put("keyFiles", e.getMessage());
        }
        out.set("failed", failed);
        if (o.has("json")) {
            io.out().println(Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(out));
        } else {
            text(out, io);
        }
        return failed.isEmpty() ? Exit.OK : Exit.CHECK_FAILED;
    }

    private static void text(ObjectNode out, Io io) {
        io.out().println("adapter " + out.get("adapter").asText());
        for (String op : new String[] {"status", "signing", "evidence", "keyFiles"}) {
            if (out.get("failed").has(op)) {
                io.out().println(op + ": FAILED: " + out.get("failed").get(op).asText());
            } else {
                io.out().println(op + ": " + out.get(op));
            }
        }
    }
}
