package dev.understudy.alert;

import dev.understudy.cli.BadInputException;
import dev.understudy.common.FileTrees;
import dev.understudy.config.Config;
import dev.understudy.config.LiveConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

/** Builds a {@link Dispatcher} from the config: channels from {@code alerts:}, state in the state directory. */
public final class Alerting {
    private Alerting() {
    }

    /** Where a long-running process gets its dispatcher when it has something to send. */
    @FunctionalInterface
    public interface Source {
        Dispatcher get() throws BadInputException, IOException;
    }

    /**
     * A source that reads the config file and the secrets file again each time, so a changed channel or secret applies
     * to a running agent without a restart, and builds the dispatcher again only when either changed: its channels
     * hold HTTP clients (each with threads of its own and a TLS context), and the holder asks every 10 s.
     */
    public static Source reloading(Path configFile, String stateName) {
        LiveConfig live = new LiveConfig(configFile);
        return new Source() {
            private Config builtFrom;
            private byte[] secretsFrom;
            private Dispatcher built;

            @Override
            public synchronized Dispatcher get() throws BadInputException, IOException {
                Config c = live.current();
                byte[] secrets = c.alerts() == null || c.alerts().secretsFile() == null ? new byte[0]
                        : FileTrees.exists(c.alerts().secretsFile()) ? Files.readAllBytes(c.alerts().secretsFile()) : new byte[0];
                if (built == null || c != builtFrom || !Arrays.equals(secrets, secretsFrom)) {
                    built = dispatcher(c, stateName);
                    builtFrom = c;
                    secretsFrom = secrets;
                }
                return built;
            }
        };
    }

    public static Dispatcher dispatcher(Config c, String stateName) throws BadInputException, IOException {
        AlertSettings a = c.alerts();
        if (a == null) {
            a = new AlertSettings(null, Duration.ofHours(1), Duration.ofMinutes(5), 20, null, null, null, null);
        }
        String source = "understudy://" + c.host();
        List<Channel> channels = a.channels(source);
        Path state = c.stateDir().resolve(stateName);
        return new Dispatcher(state, channels, a, a.secrets());
    }
}
