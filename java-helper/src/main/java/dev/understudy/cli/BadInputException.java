package dev.understudy.cli;

/** Input data that is malformed or not acceptable (config, bundle, node output); exit 65. The message names the source and what is expected. */
public class BadInputException extends Exception {
    private static final long serialVersionUID = 1L;

    public BadInputException(String message) {
        super(message);
    }

    public BadInputException(String message, Throwable cause) {
        super(message, cause);
    }
}
