package dev.understudy.simnet;

/** Input that is malformed or not acceptable; the message names the source and what is expected. */
public final class BadInputException extends Exception {
    private static final long serialVersionUID = 1L;

    public BadInputException(String message) {
        super(message);
    }

    public BadInputException(String message, Throwable cause) {
        super(message, cause);
    }
}
