package dev.understudy.coordination;

import dev.understudy.cli.BadInputException;
import dev.understudy.common.PemTls;
import dev.understudy.config.Config;
import dev.understudy.config.CoordinationSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;

/** Builds the etcd client from the config's coordination section. */
public final class Coordination {
    private Coordination() {
    }

    /** The agent's and the watchdog's client: each attempt gets {@code request_timeout_ms}. */
    public static Etcd etcd(Config config) throws BadInputException, IOException {
        return etcd(config, config.coordination().requestTimeout());
    }

    /** A one-shot command's client: each attempt gets {@link CoordinationSettings#commandAttemptTimeout()}. */
    public static Etcd forCommand(Config config) throws BadInputException, IOException {
        return etcd(config, config.coordination().commandAttemptTimeout());
    }

    private static Etcd etcd(Config config, java.time.Duration attempt) throws BadInputException, IOException {
        CoordinationSettings cs = config.coordination();
        String password;
        try {
            password = Files.readString(cs.passwordFile()).trim();
        } catch (NoSuchFileException e) {
            throw new BadInputException(config.source() + ": coordination.password_file " + cs.passwordFile() + " does not exist");
        }
        boolean tls = cs.endpoints().stream().anyMatch(u -> u.getScheme().equals("https"));
        return new Etcd(cs.endpoints(), tls ? PemTls.context(cs.caFile(), cs.certFile(), cs.keyFile()) : null, cs.user(),
                password, attempt);
    }
}
