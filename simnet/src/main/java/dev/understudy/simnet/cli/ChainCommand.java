package dev.understudy.simnet.cli;

import dev.understudy.simnet.BadInputException;
import dev.understudy.simnet.chain.Chain;
import dev.understudy.simnet.chain.Genesis;
import java.io.IOException;
import java.util.concurrent.CountDownLatch;
import org.apache.commons.cli.Options;

/** {@code simnet chain}: runs the chain until stopped. */
public final class ChainCommand {
    private ChainCommand() {
    }

    static Options options() {
        return new Options()
                .addOption(Args.required("listen", "HOST:PORT", "address of the HTTP API"))
                .addOption(Args.required("data", "DIR", "genesis.json and records.jsonl live here"))
                .addOption(Args.opt("round-ms", "MS", "round length (default 1000; fixed at genesis)"))
                .addOption(Args.opt("period-rounds", "N", "rounds per validation period (default 120)"))
                .addOption(Args.opt("election-rounds", "N", "rounds the election for the next period is open (default 40)"))
                .addOption(Args.opt("late-horizon-rounds", "N", "how old a vote may be and still be accepted (default 300)"));
    }

    public static int run(String[] argv) throws Args.UsageException, IOException, BadInputException, InterruptedException {
        Args a = Args.parse("chain", options(), argv);
        Genesis.Requested req = new Genesis.Requested(a.longValue("round-ms"), a.intValue("period-rounds"),
                a.intValue("election-rounds"), a.intValue("late-horizon-rounds"));
        Chain chain = Chain.start(a.path("data"), a.listen("listen"), req, System::currentTimeMillis);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                chain.close();
            } catch (IOException e) {
                System.err.println("closing the record file: " + e.getMessage());
            }
            stopped.countDown();
        }));
        stopped.await();
        return 0;
    }
}
