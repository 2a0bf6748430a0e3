package dev.understudy.coordination;

/** etcd could not be reached in time, or answered with an error (named). */
public final class EtcdException extends Exception {
    private static final long serialVersionUID = 1L;
    private final boolean unreachable;

    EtcdException(String message, Throwable cause, boolean unreachable) {
        super(message, cause);
        this.unreachable = unreachable;
    }

    /** True when no endpoint answered (partition, all down, timeout); false for an answer that was an error. */
    public boolean unreachable() {
        return unreachable;
    }
}
