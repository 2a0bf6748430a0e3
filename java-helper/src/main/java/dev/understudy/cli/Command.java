package dev.understudy.cli;

/** One sub-command of {@code understudy}. */
public interface Command {
    /** The words that select this command, e.g. "sync push". */
    String name();

    /** One line for --help. */
    String summary();

    /** Runs with the arguments after the command's name; returns an exit code from {@link Exit}. */
    int run(String[] args, Io io) throws Exception;
}
