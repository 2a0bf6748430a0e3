package dev.understudy.cli;

/**
 * A command with commons-cli options: prints its help on --help, otherwise parses and runs.
 */
public abstract class BaseCommand implements Command {
    protected abstract org.apache.commons.cli.Options options();

    protected abstract int execute(Options opts, Io io) throws Exception;

    @Override
    public final int run(String[] args, Io io) throws Exception {
        if (Options.wantsHelp(args)) {
            io.out().print(Options.help(name(), summary(), options()));
            return Exit.OK;
        }
        return execute(Options.parse(name(), options(), args), io);
    }
}
