package dev.understudy.cli;

/** Maps what a command threw to a message on stderr and an exit code. */
public final class Failures {
    private Failures() {
    }

    static int report(String command, Exception e, Io io) {
        if (e instanceof UsageException) {
            io.err().println("understudy " + command + ": " + e.getMessage());
            return Exit.USAGE;
        }
        if (e instanceof BadInputException) {
            io.err().println("understudy " + command + ": " + e.getMessage());
            return Exit.DATA;
        }
        if (e instanceof CheckFailedException) {
            io.err().println("understudy " + command + ": " + e.getMessage());
            return Exit.CHECK_FAILED;
        }
        if (e instanceof TempFailException) {
            io.err().println("understudy " + command + ": " + e.getMessage());
            return Exit.TEMPFAIL;
        }
        if (e instanceof UnavailableException) {
            io.err().println("understudy " + command + ": " + e.getMessage());
            return Exit.UNAVAILABLE;
        }
        if (e instanceof java.io.IOException) {
            io.err().println("understudy " + command + ": I/O error: " + e.getMessage());
            return Exit.IO;
        }
        if (e instanceof InterruptedException) {
            Thread.currentThread().interrupt();
            io.err().println("understudy " + command + ": interrupted");
            return Exit.SOFTWARE;
        }
        io.err().println("understudy " + command + ": internal error: " + e);
        e.printStackTrace(io.err());
        return Exit.SOFTWARE;
    }
}
