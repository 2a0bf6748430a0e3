package dev.understudy.testing;

import dev.understudy.simnet.chain.Chain;
import dev.understudy.simnet.chain.Genesis;
import dev.understudy.simnet.cli.NodeCommand;
import dev.understudy.simnet.node.Node;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.function.BooleanSupplier;

/** A simnet chain with a main node (bids, signs) and a backup node (follows), in-process on loopback. */
public final class SimnetLab implements AutoCloseable {
    public final Chain chain;
    public final NodeCommand.Running main;
    public final NodeCommand.Running backup;
    public final Path mainHome;
    public final Path backupHome;

    public SimnetLab(Path dir, long roundMs, int periodRounds, int electionRounds) throws Exception {
        InetSocketAddress any = new InetSocketAddress("127.0.0.1", 0);
        chain = Chain.start(dir.resolve("chain"), any, new Genesis.Requested(roundMs, periodRounds, electionRounds, 300),
                System::currentTimeMillis);
        mainHome = dir.resolve("main-node");
        backupHome = dir.resolve("backup-node");
        main = NodeCommand.start(chain.url(), any, mainHome, "val1", true, true, Node.Options.DEFAULT, System::currentTimeMillis);
        backup = NodeCommand.start(chain.url(), any, backupHome, "val1", false, false, Node.Options.DEFAULT,
                System::currentTimeMillis);
    }

    public Deployment.Nodes nodes() {
        return new Deployment.Nodes(chain.url(), main.url(), mainHome, backup.url(), backupHome);
    }

    public static void waitFor(String what, long timeoutMs, BooleanSupplier cond) throws InterruptedException {
        long end = System.currentTimeMillis() + timeoutMs;
        while (System.currentTimeMillis() < end) {
            if (cond.getAsBoolean()) {
                return;
            }
            Thread.sleep(25);
        }
        throw new AssertionError("timed out after " + timeoutMs + " ms waiting for " + what);
    }

    @Override
    public void close() throws Exception {
        main.close();
        backup.close();
        chain.close();
    }
}
