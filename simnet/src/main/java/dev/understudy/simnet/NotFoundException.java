package dev.understudy.simnet;

/** A request for something that does not exist (an unknown validator, route or key). */
public final class NotFoundException extends Exception {
    private static final long serialVersionUID = 1L;

    public NotFoundException(String message) {
        super(message);
    }
}
