package dev.understudy.node;

/** The node or its chain could not answer, or answered something the adapter cannot parse (named). */
public class NodeException extends Exception {
    private static final long serialVersionUID = 1L;
    private final boolean badOutput;

    private NodeException(String message, Throwable cause, boolean badOutput) {
        super(message, cause);
        this.badOutput = badOutput;
    }

    /** The node could not be reached or a command failed or timed out. */
    public static NodeException unavailable(String message, Throwable cause) {
        return new NodeException(message, cause, false);
    }

    /** The node answered, but not in the documented format; the message names the field and the source. */
    public static NodeException badOutput(String message) {
        return new NodeException(message, null, true);
    }

    public boolean isBadOutput() {
        return badOutput;
    }
}
