package dev.understudy.coordination;

import dev.understudy.cli.BadInputException;
import dev.understudy.config.Config;
import dev.understudy.config.HostEntry;
import dev.understudy.identity.IdentityStore;
import dev.understudy.identity.SigningKey;
import dev.understudy.identity.VerifyKey;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The agents' direct link for the failsafe: one UDP socket on this host's configured address and {@code agent_port}.
 * As holder it sends {@link FailsafeMessage.Request}s to every other main and backup ({@link LeaseKeeper} asks when
 * its renewals lag); as any agent it answers requests through its {@link PromiseDesk}. Only datagrams that parse and
 * verify against the sender's configured keys are acted on, and answers go to the sender's configured address, never
 * to where a datagram came from.
 */
final class FailsafeLink implements LeaseKeeper.Failsafe, AutoCloseable {
    private static final Logger LOG = LogManager.getLogger(FailsafeLink.class);

    private final String validator;
    private final String self;
    private final IdentityStore identity;
    private final Function<String, List<VerifyKey>> keysOf;
    private final Map<String, InetSocketAddress> peers = new LinkedHashMap<>();
    private final PromiseDesk desk;
    /** Until {@link #answer} gives the agent's standing, every request is refused. */
    private volatile PromiseDesk.Standing standing = r -> "this agent is starting";
    private final PromiseSeeker seeker;
    private final String tag;
    private final DatagramSocket socket;
    private volatile boolean closed;
    private final AtomicBoolean asking = new AtomicBoolean();
    private final ExecutorService sender = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "agent-failsafe-ask");
        t.setDaemon(true);
        return t;
    });
    private long lastSendErrorMs;
    private SigningKey key;
    private long keyReadMs;
    private String lastRefusal = "";
    private long lastRefusalMs;

    private FailsafeLink(Config config, Function<String, List<VerifyKey>> keysOf, PromiseDesk desk, String tag,
            DatagramSocket socket) {
        this.validator = config.validator();
        this.self = config.host();
        this.identity = new IdentityStore(config.identityDir());
        this.keysOf = keysOf;
        this.desk = desk;
        this.tag = tag;
        this.socket = socket;
        for (HostEntry h : config.hosts().values()) {
            if (!h.name().equals(self) && h.role() != HostEntry.Role.MONITOR) {
                peers.put(h.name(), new InetSocketAddress(h.address(), h.agentPort()));
            }
        }
        this.seeker = new PromiseSeeker(new ArrayList<>(peers.keySet()), System::nanoTime, System::currentTimeMillis);
        Thread reader = new Thread(this::read, "agent-failsafe");
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * The link for this host, or null (logged) when its socket cannot be opened: then this agent neither asks nor
     * promises, and as holder fences as etcd alone decides.
     */
    static FailsafeLink open(Config config, Function<String, List<VerifyKey>> keysOf, PromiseDesk desk, String tag) {
        HostEntry me = config.self();
        try {
            DatagramSocket s = new DatagramSocket(new InetSocketAddress(me.address(), me.agentPort()));
            LOG.info("{}failsafe: answering on udp {}:{}", tag, me.address(), me.agentPort());
            return new FailsafeLink(config, keysOf, desk, tag, s);
        } catch (SocketException | IllegalArgumentException e) {
            LOG.error("{}failsafe: cannot listen on udp {}:{} ({}): this agent neither asks for nor gives promises; as holder"
                    + " it stops signing when etcd does not renew its lease", tag, me.address(), me.agentPort(), e.getMessage());
            return null;
        }
    }

    /** From now on requests are answered by what {@code s} says of this agent. */
    void answer(PromiseDesk.Standing s) {
        this.standing = s;
    }

    /** Called on the lease keeper's fence thread: the request is built and sent on the link's own thread. */
    @Override
    public void ask(long epoch, long generation, long spacingNanos) {
        if (asking.compareAndSet(false, true)) {
            try {
                sender.execute(() -> {
                    try {
                        send(epoch, generation, spacingNanos);
                    } finally {
                        asking.set(false);
                    }
                });
            } catch (RejectedExecutionException e) {
                asking.set(false);
            }
        }
    }

    private void send(long epoch, long generation, long spacingNanos) {
        long sentMs = seeker.next(epoch, generation, spacingNanos);
        if (sentMs < 0) {
            return;
        }
        FailsafeMessage.Request r = new FailsafeMessage.Request(validator, self, epoch, sentMs, seeker.peers());
        SigningKey k = signingKey();
        if (k == null) {
            return;
        }
        byte[] data = FailsafeMessage.encode(r.body(), k);
        for (InetSocketAddress to : peers.values()) {
            send(data, to);
        }
    }

    @Override
    public long grantedSince(long generation) {
        return seeker.grantedSince(generation);
    }

    @Override
    public List<String> peers() {
        return seeker.peers();
    }

    /** This host's signing key, read again every 10 s (a key rotation takes effect without a restart). */
    private synchronized SigningKey signingKey() {
        long now = System.currentTimeMillis();
        if (key == null || now - keyReadMs > 10_000) {
            try {
                key = identity.current().signing();
                keyReadMs = now;
            } catch (IOException | BadInputException e) {
                warnSometimes("cannot read this host's signing key: " + e.getMessage());
            }
        }
        return key;
    }

    /**
     * A refusal is logged when it follows a grant, or when its reason changed and 5 s passed since the last logged:
     * not once per request.
     */
    private void refusal(String message) {
        long now = System.currentTimeMillis();
        if (!message.equals(lastRefusal) && (lastRefusal.isEmpty() || now - lastRefusalMs > 5000)) {
            lastRefusal = message;
            if (!message.isEmpty()) {
                lastRefusalMs = now;
                LOG.warn("{}failsafe: {}", tag, message);
            }
        }
    }

    private void send(byte[] data, InetSocketAddress to) {
        try {
            socket.send(new DatagramPacket(data, data.length, to));
        } catch (IOException e) {
            warnSometimes("sending to " + to + ": " + e.getMessage());
        }
    }

    /** Problems that can repeat with every datagram (a stranger's, a failing send) are logged at most every 5 s. */
    private synchronized void warnSometimes(String message) {
        long now = System.currentTimeMillis();
        if (now - lastSendErrorMs > 5000) {
            lastSendErrorMs = now;
            LOG.warn("{}failsafe: {}", tag, message);
        }
    }

    private void read() {
        byte[] buf = new byte[FailsafeMessage.MAX_BYTES + 1];
        while (!closed) {
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            try {
                socket.receive(p);
            } catch (IOException e) {
                if (!closed) {
                    LOG.warn("{}failsafe: receiving: {}", tag, e.getMessage());
                }
                continue;
            }
            try {
                handle(FailsafeMessage.parse(p.getData(), p.getLength()), p);
            } catch (BadInputException e) {
                warnSometimes("from " + p.getSocketAddress() + ": " + e.getMessage() + "; ignored");
            } catch (RuntimeException e) {
                LOG.error("{}failsafe: handling a datagram from {}: {}", tag, p.getSocketAddress(), e.toString(), e);
            }
        }
    }

    private void handle(FailsafeMessage.Signed m, DatagramPacket p) {
        InetSocketAddress back = peers.get(m.sender());
        if (back == null || !m.verifies(keysOf.apply(m.sender()))) {
            warnSometimes("a datagram from " + p.getSocketAddress() + " claiming to be " + m.sender()
                    + " does not verify against a configured main or backup's keys; ignored");
            return;
        }
        if (m.message() instanceof FailsafeMessage.Request r) {
            if (!r.validator().equals(validator)) {
                return;
            }
            FailsafeMessage.Answer a = desk.consider(r, self, System.currentTimeMillis(), standing);
            refusal(a.granted() ? "" : "refused " + r.from() + "'s request (epoch " + r.epoch() + "): " + a.reason());
            SigningKey k = signingKey();
            if (k != null) {
                send(FailsafeMessage.encode(a.body(), k), back);
            }
        } else if (m.message() instanceof FailsafeMessage.Answer a && a.validator().equals(validator) && a.to().equals(self)) {
            refusal(a.granted() ? "" : a.from() + " refused a promise: " + a.reason());
            seeker.answered(a.from(), a);
        }
    }

    @Override
    public void close() {
        closed = true;
        sender.shutdownNow();
        socket.close();
    }
}
