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
            io.err().println("understudy " + command + ": I/O error: " + describe((java.io.IOException) e));
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

    /** What a program that ran out of memory or stack says before it exits; the stack trace goes to stderr. */
    static int report(String command, Error e, Io io) {
        io.err().println("understudy " + command + ": internal error: " + e.getClass().getSimpleName()
                + " (the input may be hostile or too large; the state on disk is the last one written completely)");
        return Exit.SOFTWARE;
    }

    /**
     * An I/O error as an operator can act on it: the file and the reason. The JDK's file errors often carry only
     * the path (NoSuchFileException's message is the path alone); the kind of error is the reason then.
     */
    public static String describe(java.io.IOException e) {
        if (e instanceof java.nio.file.FileSystemException f && f.getReason() == null) {
            String why = e instanceof java.nio.file.NoSuchFileException ? "does not exist"
                    : e instanceof java.nio.file.AccessDeniedException ? "permission denied"
                    : e instanceof java.nio.file.FileAlreadyExistsException ? "already exists"
                    : e instanceof java.nio.file.DirectoryNotEmptyException ? "directory not empty"
                    : e instanceof java.nio.file.NotDirectoryException ? "not a directory"
                    : e.getClass().getSimpleName();
            return (f.getFile() == null ? "" : f.getFile() + ": ") + why
                    + (f.getOtherFile() == null ? "" : " (" + f.getOtherFile() + ")");
        }
        String m = e.getMessage();
        return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
    }
}
