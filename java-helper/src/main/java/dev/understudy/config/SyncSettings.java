package dev.understudy.config;

import dev.understudy.cli.BadInputException;
import java.nio.file.Path;

/** Bundle transfer and storage settings ({@code sync:}). */
public record SyncSettings(Path sshKey, Path knownHosts, int connectTimeoutMs, int timeoutMs, int keepBundles,
        long maxBundleBytes, Path incomingDir) {

    static SyncSettings parse(Section s) throws BadInputException {
        SyncSettings r = new SyncSettings(
                s.path("ssh_key", Path.of("/etc/understudy/ssh/push_ed25519")),
                s.path("known_hosts", Path.of("/etc/understudy/ssh/known_hosts")),
                (int) s.integer("connect_timeout_ms", 5000, 100, 120_000),
                (int) s.integer("timeout_ms", 15_000, 100, 600_000),
                (int) s.integer("keep_bundles", 5, 2, 1000),
                s.integer("max_bundle_bytes", 16L * 1024 * 1024, 1024, 1L << 32),
                s.path("incoming_dir", Path.of("/srv/understudy-drop/incoming")));
        s.done();
        return r;
    }
}
