package dev.understudy.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.DefaultParser;
import org.apache.commons.cli.HelpFormatter;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.ParseException;

/** Parsed options of one command; usage errors become {@link UsageException} with the command's help. */
public final class Options {
    private final CommandLine line;

    private Options(CommandLine line) {
        this.line = line;
    }

    public static Option value(String name, String argName, String description) {
        return Option.builder().longOpt(name).hasArg().argName(argName).desc(description).build();
    }

    public static Option flag(String name, String description) {
        return Option.builder().longOpt(name).desc(description).build();
    }

    /** --config FILE, the option every command that reads understudy.yml takes. */
    public static Option config() {
        return value("config", "FILE", "configuration file (default /etc/understudy/understudy.yml)");
    }

    public static boolean wantsHelp(String[] args) {
        for (String a : args) {
            if (a.equals("--help") || a.equals("-h")) {
                return true;
            }
        }
        return false;
    }

    public static String help(String command, String summary, org.apache.commons.cli.Options options) {
        StringWriter w = new StringWriter();
        new HelpFormatter().printHelp(new PrintWriter(w), 100, "understudy " + command, summary, options, 2, 2, null, true);
        return w.toString();
    }

    public static Options parse(String command, org.apache.commons.cli.Options options, String[] args)
            throws UsageException {
        try {
            CommandLine l = new DefaultParser().parse(options, args);
            if (l.getArgs().length > 0) {
                throw new UsageException("unexpected argument '" + l.getArgs()[0] + "'\n" + help(command, null, options));
            }
            return new Options(l);
        } catch (ParseException e) {
            throw new UsageException(e.getMessage() + "\n" + help(command, null, options));
        }
    }

    public boolean has(String name) {
        return line.hasOption(name);
    }

    public String get(String name) {
        return line.getOptionValue(name);
    }

    public String get(String name, String fallback) {
        return line.getOptionValue(name, fallback);
    }

    public Path configPath() {
        String c = line.getOptionValue("config");
        return c == null ? dev.understudy.config.Config.DEFAULT_PATH : Path.of(c);
    }

    /** Every {@code --config} given, in order (the default path when none). */
    public java.util.List<Path> configPaths() {
        String[] v = line.getOptionValues("config");
        return v == null ? java.util.List.of(dev.understudy.config.Config.DEFAULT_PATH)
                : java.util.Arrays.stream(v).map(Path::of).toList();
    }

    public long longValue(String name, long fallback) throws UsageException {
        String v = line.getOptionValue(name);
        if (v == null) {
            return fallback;
        }
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new UsageException("--" + name + " must be an integer, got '" + v + "'");
        }
    }
}
