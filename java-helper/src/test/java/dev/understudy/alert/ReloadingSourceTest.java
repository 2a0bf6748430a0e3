package dev.understudy.alert;

import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.understudy.testing.Deployment;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent's alert source sees an edited config or secrets file without a restart, and builds its dispatcher (and
 * the channels' HTTP clients, each with threads of its own) again only then: the holder asks every 10 s.
 */
class ReloadingSourceTest {
    @TempDir
    Path dir;

    @Test
    void theDispatcherIsBuiltAgainOnlyWhenTheConfigOrItsSecretsChange() throws Exception {
        Deployment d = new Deployment(dir);
        String base = d.config("lab-main", "http://127.0.0.1:7701", dir.resolve("home"), "http://127.0.0.1:7700", 2222);
        Path secrets = dir.resolve("alerts.env");
        Files.writeString(secrets, "HOOK_TOKEN=one\n");
        Files.setPosixFilePermissions(secrets, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        Path config = dir.resolve("understudy.yml");
        String alerts = "alerts:\n  secrets_file: " + secrets + "\n  webhook: {url: \"http://127.0.0.1:9/hook\", bearer_token_secret: HOOK_TOKEN}\n";
        Files.writeString(config, base + alerts);
        Alerting.Source source = Alerting.reloading(config, "agent-alerts.json");

        Dispatcher first = source.get();
        assertSame(first, source.get(), "nothing changed: the same dispatcher and channels");
        Files.writeString(secrets, "HOOK_TOKEN=two\n");
        Dispatcher afterSecret = source.get();
        assertNotSame(first, afterSecret, "a changed secret applies");
        assertSame(afterSecret, source.get());
        Files.writeString(config, base + alerts.replace("/hook", "/hook2"));
        assertNotSame(afterSecret, source.get(), "a changed channel applies");
    }
}
