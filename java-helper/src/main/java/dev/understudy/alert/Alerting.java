package dev.understudy.alert;

import dev.understudy.cli.BadInputException;
import dev.understudy.config.Config;
import dev.understudy.config.LiveConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
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
     * A source that reads the config file again each time, so a changed channel or secret applies to a running
     * agent without a restart (an agent sends rarely; reading the file costs milliseconds).
     */
    public static Source reloading(Path configFile, String stateName) {
        LiveConfig live = new LiveConfig(configFile);
        return () -> dispatcher(live.current(), stateName);
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
