package dev.understudy.config;

import dev.understudy.cli.BadInputException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * A configuration file as it is now, for a long-running process that must see an edited file without a restart:
 * read on every call, parsed again only when its bytes changed (a parse builds a YAML mapper; the agent's push
 * check asks every push interval). A file that no longer parses is an error on every call until it is fixed.
 */
public final class LiveConfig {
    private final Path file;
    private byte[] parsedFrom;
    private Config parsed;

    public LiveConfig(Path file) {
        this.file = file;
    }

    public synchronized Config current() throws BadInputException, IOException {
        byte[] now = Config.read(file);
        if (parsed == null || !Arrays.equals(now, parsedFrom)) {
            parsed = Config.parse(now, file);
            parsedFrom = now;
        }
        return parsed;
    }
}
