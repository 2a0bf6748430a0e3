package dev.understudy.simnet.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.understudy.simnet.Exit;
import dev.understudy.simnet.Json;
import dev.understudy.simnet.JsonHttpClient;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.apache.commons.cli.Options;

/**
 * {@code simnet verdict}: the oracle of every fault test. Prints the chain's summary of one validator over a
 * round range and exits 1 when any round was signed by two signer instances.
 */
public final class VerdictCommand {
    private VerdictCommand() {
    }

    static Options options() {
        return new Options()
                .addOption(Args.required("chain", "URL", "the chain's HTTP API"))
                .addOption(Args.required("validator", "NAME", "the validator to judge"))
                .addOption(Args.opt("from-round", "R", "first round (default: the validator's first round in a set)"))
                .addOption(Args.opt("to-round", "R", "last round (default: the last settled round)"));
    }

    public static int run(String[] argv, PrintStream out) throws Args.UsageException, IOException, JsonHttpClient.HttpError {
        Args a = Args.parse("verdict", options(), argv);
        Long from = a.longValue("from-round");
        Long to = a.longValue("to-round");
        StringBuilder q = new StringBuilder("/validators/")
                .append(URLEncoder.encode(a.get("validator"), StandardCharsets.UTF_8).replace("+", "%20"))
                .append("/summary?");
        if (from != null) {
            q.append("from=").append(from).append('&');
        }
        if (to != null) {
            q.append("to=").append(to);
        }
        JsonHttpClient chain = new JsonHttpClient(a.get("chain"), Duration.ofSeconds(3), Duration.ofSeconds(10));
        JsonNode summary = chain.get(q.toString());
        out.println(new String(Json.bytes(summary), StandardCharsets.UTF_8));
        return summary.path("doubleSigns").asLong() > 0 ? Exit.CHECK_FAILED : Exit.OK;
    }
}
