package dev.understudy.cli;

/** Another run holds the lock, or a resource is briefly unavailable; exit 75, try again later. */
public class TempFailException extends Exception {
    private static final long serialVersionUID = 1L;

    public TempFailException(String message) {
        super(message);
    }
}
