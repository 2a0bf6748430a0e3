package dev.understudy.cli;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * {@code understudy COMMAND [options]}. Dispatches to a {@link Command} by its words (longest match first),
 * maps exceptions to exit codes, and is the only place that calls {@link System#exit}.
 * Commands are created lazily so that {@code --version} loads no more classes than it needs.
 */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        int code = run(args, Io.system());
        System.out.flush();
        System.exit(code);
    }

    static List<Command> commands() {
        return Commands.all();
    }

    public static int run(String[] args, Io io) {
        if (args.length == 1 && (args[0].equals("--version") || args[0].equals("version"))) {
            io.out().println("understudy " + Version.get());
            return Exit.OK;
        }
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h") || args[0].equals("help")) {
            printHelp(io);
            return args.length == 0 ? Exit.USAGE : Exit.OK;
        }
        Command cmd = null;
        int words = 0;
        for (Command c : commands()) {
            String[] w = c.name().split(" ");
            if (w.length > words && w.length <= args.length && Arrays.equals(w, Arrays.copyOf(args, w.length))) {
                cmd = c;
                words = w.length;
            }
        }
        if (cmd == null) {
            io.err().println("understudy: unknown command '" + String.join(" ", args) + "'");
            printHelp(io);
            return Exit.USAGE;
        }
        String[] rest = Arrays.copyOfRange(args, words, args.length);
        try {
            return cmd.run(rest, io);
        } catch (Exception e) {
            return Failures.report(cmd.name(), e, io);
        } catch (StackOverflowError | OutOfMemoryError e) {
            return Failures.report(cmd.name(), e, io);
        }
    }

    static void printHelp(Io io) {
        io.out().println("understudy " + Version.get() + " — validator failover helper");
        io.out().println();
        io.out().println("usage: understudy COMMAND [options]   (understudy COMMAND --help for its options)");
        io.out().println();
        List<Command> cs = new ArrayList<>(commands());
        int width = cs.stream().mapToInt(c -> c.name().length()).max().orElse(10);
        for (Command c : cs) {
            io.out().printf("  %-" + width + "s  %s%n", c.name(), c.summary());
        }
        io.out().println();
        io.out().println("exit codes: 0 ok, 1 check failed, 64 usage, 65 bad input data, 69 unavailable,"
                + " 70 internal error, 74 I/O error, 75 locked (try again)");
    }
}
