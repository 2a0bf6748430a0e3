package dev.understudy.simnet;

import dev.understudy.simnet.cli.Args;
import dev.understudy.simnet.cli.ChainCommand;
import dev.understudy.simnet.cli.ConsoleCommand;
import dev.understudy.simnet.cli.NodeCommand;
import dev.understudy.simnet.cli.VerdictCommand;
import java.io.IOException;
import java.io.PrintStream;
import java.util.Arrays;

/** {@code simnet chain|node|console|verdict}; the only place that exits the process. */
public final class Main {
    static final String USAGE = "usage: simnet chain|node|console|verdict [options]   (simnet COMMAND --help for options)";

    private Main() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    public static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 0) {
            err.println(USAGE);
            return Exit.USAGE;
        }
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        try {
            return switch (args[0]) {
                case "chain" -> ChainCommand.run(rest);
                case "node" -> NodeCommand.run(rest);
                case "console" -> ConsoleCommand.run(rest, out);
                case "verdict" -> VerdictCommand.run(rest, out);
                case "--help", "-h", "help" -> {
                    out.println(USAGE);
                    yield Exit.OK;
                }
                default -> {
                    err.println("simnet: unknown command '" + args[0] + "'\n" + USAGE);
                    yield Exit.USAGE;
                }
            };
        } catch (Args.UsageException e) {
            err.println("simnet " + args[0] + ": " + e.getMessage());
            return Exit.USAGE;
        } catch (BadInputException e) {
            err.println("simnet " + args[0] + ": " + e.getMessage());
            return Exit.DATA;
        } catch (JsonHttpClient.HttpError e) {
            err.println("simnet " + args[0] + ": HTTP " + e.status() + ": " + e.getMessage());
            return e.status() == 404 || e.status() == 400 ? Exit.DATA : Exit.UNAVAILABLE;
        } catch (IOException e) {
            err.println("simnet " + args[0] + ": " + e);
            return Exit.UNAVAILABLE;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Exit.SOFTWARE;
        } catch (RuntimeException e) {
            err.println("simnet " + args[0] + ": internal error: " + e);
            e.printStackTrace(err);
            return Exit.SOFTWARE;
        }
    }
}
