package dev.understudy.cli;

/** A check ran and its answer is "no" (not holder, keys missing, target not ready); exit 1. */
public class CheckFailedException extends Exception {
    private static final long serialVersionUID = 1L;

    public CheckFailedException(String message) {
        super(message);
    }
}
