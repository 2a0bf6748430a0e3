package dev.understudy.node;

import java.util.Objects;

/** One file a standby needs to sign: its path relative to the node's key directory, its mode and content. */
public record KeyFile(String path, int mode, byte[] content) {
    public KeyFile {
        Objects.requireNonNull(path, "path required");
        Objects.requireNonNull(content, "content required");
        if (path.startsWith("/") || path.contains("..")) {
            throw new IllegalArgumentException("key file path must be relative without '..': " + path);
        }
    }

    @Override
    public String toString() {
        return "KeyFile[" + path + ", mode " + Integer.toOctalString(mode) + ", " + content.length + " bytes]";
    }
}
