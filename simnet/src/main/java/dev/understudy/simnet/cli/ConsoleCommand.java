package dev.understudy.simnet.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.understudy.simnet.Json;
import dev.understudy.simnet.JsonHttpClient;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import org.apache.commons.cli.Options;

/** {@code simnet console}: the node's operator console (status, validation on/off, key import). */
public final class ConsoleCommand {
    static final String VERBS = "status | enable-validation | disable-validation | enable-elections | disable-elections"
            + " | import-keys DIR | list-keys";

    private ConsoleCommand() {
    }

    static Options options() {
        return new Options()
                .addOption(Args.required("node", "URL", "the node's console API"))
                .addOption(Args.opt("timeout-ms", "MS", "give up after this long (default 3000)"));
    }

    public static int run(String[] argv, PrintStream out) throws Args.UsageException, IOException, JsonHttpClient.HttpError {
        Args a = Args.parse("console", options(), argv);
        String[] rest = a.rest();
        if (rest.length == 0) {
            throw new Args.UsageException("a verb is required: " + VERBS);
        }
        Long t = a.longValue("timeout-ms");
        Duration timeout = Duration.ofMillis(t == null ? 3000 : t);
        JsonHttpClient node = new JsonHttpClient(a.get("node"), timeout, timeout);
        JsonNode res = switch (rest[0]) {
            case "status" -> node.get("/status");
            case "list-keys" -> node.get("/keys");
            case "enable-validation" -> node.post("/validation", Json.object().put("enabled", true));
            case "disable-validation" -> node.post("/validation", Json.object().put("enabled", false));
            case "enable-elections" -> node.post("/elections", Json.object().put("enabled", true));
            case "disable-elections" -> node.post("/elections", Json.object().put("enabled", false));
            case "import-keys" -> {
                if (rest.length != 2) {
                    throw new Args.UsageException("import-keys needs one DIR argument");
                }
                ObjectNode body = Json.object().put("dir", Path.of(rest[1]).toAbsolutePath().toString());
                yield node.post("/import-keys", body);
            }
            default -> throw new Args.UsageException("unknown verb '" + rest[0] + "'; verbs: " + VERBS);
        };
        out.println(new String(Json.pretty(res), java.nio.charset.StandardCharsets.UTF_8));
        return 0;
    }
}
