package dev.understudy.testing;

import java.nio.file.Path;

/**
 * A main and a backup on a simnet chain, the backup's drop account served by an embedded SFTP server whose host
 * key the main pins: the setting of every push-and-receive test. The period length decides how long the main's
 * key set stays the same.
 */
public final class DropPair implements AutoCloseable {
    public final SimnetLab lab;
    public final Deployment d;
    public final SftpServer drop;

    public DropPair(Path dir, int periodRounds, int electionRounds) throws Exception {
        lab = new SimnetLab(dir.resolve("net"), 100, periodRounds, electionRounds);
        d = new Deployment(dir.resolve("deploy"));
        drop = new SftpServer(d.incoming.getParent(), "drop", d.clientPublicKey);
        drop.writeKnownHosts(d.knownHosts);
        d.writeConfigs(lab.nodes(), drop.port());
    }

    @Override
    public void close() throws Exception {
        drop.close();
        lab.close();
    }
}
