package dev.understudy.alert;

import dev.understudy.cli.BaseCommand;
import dev.understudy.cli.Exit;
import dev.understudy.cli.Io;
import dev.understudy.cli.Options;
import dev.understudy.config.Config;
import java.io.IOException;
import java.time.Instant;
import java.util.List;

/** {@code alert test}: one test alert through every configured channel; exit 1 naming each channel that failed. */
public final class AlertTestCommand extends BaseCommand {
    @Override
    public String name() {
        return "alert test";
    }

    @Override
    public String summary() {
        return "send one test alert through every configured channel (exit 1 naming any that failed)";
    }

    @Override
    protected org.apache.commons.cli.Options options() {
        return new org.apache.commons.cli.Options().addOption(Options.config());
    }

    @Override
    protected int execute(Options o, Io io) throws Exception {
        Config c = Config.load(o.configPath());
        AlertSettings a = c.alerts();
        if (a == null) {
            io.err().println("understudy alert test: " + c.source() + " configures no alert channel (alerts:)");
            return Exit.CHECK_FAILED;
        }
        List<Channel> channels = a.channels("understudy://" + c.host());
        Secrets secrets = a.secrets();
        Alert test = Alert.of(AlertName.WATCHDOG_STALE, c.validator(), "test", "TEST from " + c.host()
                + ": if you read this, alerts reach you. Nothing is wrong.").severity("info");
        Notification n = new Notification(test, Notification.Status.FIRING, Instant.now(), Instant.now(), false);
        int failed = 0;
        for (Channel ch : channels) {
            try {
                ch.send(List.of(n));
                io.out().println("sent: " + ch.name());
            } catch (IOException | RuntimeException e) {
                failed++;
                io.err().println("FAILED: " + secrets.redact(ch.name() + ": " + e.getMessage()));
            }
        }
        if (channels.isEmpty()) {
            io.err().println("understudy alert test: alerts: has no channel");
            return Exit.CHECK_FAILED;
        }
        return failed == 0 ? Exit.OK : Exit.CHECK_FAILED;
    }
}
