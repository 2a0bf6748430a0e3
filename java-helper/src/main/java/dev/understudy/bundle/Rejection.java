package dev.understudy.bundle;

import dev.understudy.cli.BadInputException;

/** Why a bundle was refused; the reason code goes into the quarantine record and the alert. */
public final class Rejection extends BadInputException {
    private static final long serialVersionUID = 1L;

    /** Reason codes, stable for alerts and docs. */
    public enum Reason {
        MALFORMED, UNSUPPORTED_VERSION, WRONG_VALIDATOR, UNKNOWN_SIGNER, OVERSIZED, TRUNCATED, BAD_SIGNATURE,
        WRONG_RECIPIENT, REPLAYED, CANNOT_DECRYPT, TAMPERED, INCOMPLETE
    }

    private final Reason reason;

    public Rejection(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
