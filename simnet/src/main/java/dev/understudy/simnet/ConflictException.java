package dev.understudy.simnet;

/** A request the current state refuses (a node asked to sign under an epoch older than one it has seen). */
public final class ConflictException extends Exception {
    private static final long serialVersionUID = 1L;

    public ConflictException(String message) {
        super(message);
    }
}
