package dev.understudy.simnet.cli;

import dev.understudy.simnet.BadInputException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.DefaultParser;
import org.apache.commons.cli.HelpFormatter;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;
import org.apache.commons.cli.ParseException;

/** Command-line parsing shared by the simnet commands; usage errors become {@link UsageException}. */
public final class Args {
    private final CommandLine line;

    private Args(CommandLine line) {
        this.line = line;
    }

    /** A command line that cannot be understood; the message says what is wrong and shows the usage. */
    public static final class UsageException extends Exception {
        private static final long serialVersionUID = 1L;

        public UsageException(String message) {
            super(message);
        }
    }

    public static Option opt(String name, String argName, String description) {
        return Option.builder().longOpt(name).hasArg().argName(argName).desc(description).build();
    }

    public static Option required(String name, String argName, String description) {
        return Option.builder().longOpt(name).hasArg().argName(argName).desc(description).required().build();
    }

    public static Option flag(String name, String description) {
        return Option.builder().longOpt(name).desc(description).build();
    }

    public static Args parse(String command, Options options, String[] args) throws UsageException {
        try {
            return new Args(new DefaultParser().parse(options, args));
        } catch (ParseException e) {
            throw new UsageException(e.getMessage() + "\n" + usage(command, options));
        }
    }

    public static String usage(String command, Options options) {
        java.io.StringWriter w = new java.io.StringWriter();
        new HelpFormatter().printHelp(new java.io.PrintWriter(w), 100, "simnet " + command, null, options, 2, 2, null, true);
        return w.toString();
    }

    public String get(String name) {
        return line.getOptionValue(name);
    }

    public boolean has(String name) {
        return line.hasOption(name);
    }

    public String[] rest() {
        return line.getArgs();
    }

    public Path path(String name) {
        return Path.of(line.getOptionValue(name));
    }

    public Long longValue(String name) throws UsageException {
        String v = line.getOptionValue(name);
        if (v == null) {
            return null;
        }
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new UsageException("--" + name + " must be an integer, got '" + v + "'");
        }
    }

    public Integer intValue(String name) throws UsageException {
        Long v = longValue(name);
        if (v == null) {
            return null;
        }
        if (v > Integer.MAX_VALUE || v < Integer.MIN_VALUE) {
            throw new UsageException("--" + name + " is out of range: " + v);
        }
        return v.intValue();
    }

    /** Parses HOST:PORT. */
    public InetSocketAddress listen(String name) throws UsageException {
        String v = line.getOptionValue(name);
        int colon = v.lastIndexOf(':');
        if (colon <= 0) {
            throw new UsageException("--" + name + " must be HOST:PORT, got '" + v + "'");
        }
        try {
            int port = Integer.parseInt(v.substring(colon + 1));
            if (port < 0 || port > 65535) {
                throw new NumberFormatException("port out of range");
            }
            return new InetSocketAddress(v.substring(0, colon), port);
        } catch (NumberFormatException e) {
            throw new UsageException("--" + name + " must be HOST:PORT with a port from 0 to 65535, got '" + v + "'");
        }
    }

    static void check(boolean ok, String message) throws BadInputException {
        if (!ok) {
            throw new BadInputException(message);
        }
    }
}
