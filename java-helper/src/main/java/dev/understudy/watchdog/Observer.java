package dev.understudy.watchdog;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.understudy.cli.UnavailableException;
import dev.understudy.config.Config;
import dev.understudy.config.HostEntry;
import dev.understudy.coordination.CoordinationCommands;
import dev.understudy.coordination.Etcd;
import dev.understudy.node.Evidence;
import dev.understudy.node.NodeAdapter;
import dev.understudy.node.NodeException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/** Gathers an {@link Observation}: etcd and the agents' reports, the chain through the node adapter, SSH banners. */
public final class Observer {
    private final Config config;
    private final Etcd etcd;
    private final NodeAdapter chainView;
    private final WatchdogSettings settings;

    public Observer(Config config, Etcd etcd, NodeAdapter chainView, WatchdogSettings settings) {
        this.config = config;
        this.etcd = etcd;
        this.chainView = chainView;
        this.settings = settings;
    }

    public Observation observe() throws Exception {
        Instant now = Instant.now();
        ObjectNode snap = null;
        String etcdError = null;
        try {
            snap = CoordinationCommands.snapshot(config, etcd);
        } catch (UnavailableException e) {
            etcdError = e.getMessage();
        }
        Evidence ev = null;
        String chainError = null;
        if (chainView != null) {
            try {
                ev = chainView.evidence(settings.evidenceRounds(), chainIds(snap));
            } catch (NodeException e) {
                chainError = e.getMessage();
            }
        }
        List<Observation.HostView> hosts = new ArrayList<>();
        for (HostEntry h : config.hosts().values()) {
            if (h.role() == HostEntry.Role.MONITOR) {
                continue;
            }
            JsonNode status = null;
            if (snap != null) {
                for (JsonNode hj : snap.path("hosts")) {
                    if (hj.path("host").asText().equals(h.name()) && hj.has("status")) {
                        status = hj.get("status");
                    }
                }
            }
            long age = status == null ? Long.MAX_VALUE : now.toEpochMilli() - status.path("updatedAtMs").asLong();
            String sshError = ssh(h.address());
            hosts.add(new Observation.HostView(h.name(), h.role(), status, age, sshError == null, sshError));
        }
        JsonNode leader = snap == null ? null : snap.get("leader");
        boolean hasLeader = leader != null && !leader.isNull();
        return new Observation(now, config.validator(), config.mainHost(), snap != null,
                snap == null ? 0 : snap.path("etcd").path("members").asInt(), snap == null ? 0 : snap.path("etcd").path("answering").asInt(),
                etcdError, hasLeader ? leader.path("holder").asText() : null, hasLeader ? leader.path("epoch").asLong() : 0,
                hasLeader ? leader.path("leaseSecondsLeft").asLong() : -1, hosts, ev, chainError,
                snap == null ? null : snap.get("lastReport"));
    }

    /**
     * The ids by which the chain names the validator's keys, as the agents publish them ({@code status.chainIds}): the
     * monitor holds no keys, and an adapter that needs them (TON) judges the chain's view by these.
     */
    static Set<String> chainIds(ObjectNode snap) {
        Set<String> ids = new TreeSet<>();
        if (snap != null) {
            for (JsonNode h : snap.path("hosts")) {
                for (JsonNode id : h.path("status").path("chainIds")) {
                    if (id.isTextual()) {
                        ids.add(id.asText());
                    }
                }
            }
        }
        return ids;
    }

    /** Null when the host's SSH server answers with its banner in time; otherwise why not. */
    private String ssh(String address) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(address, settings.sshPort()), (int) settings.sshTimeout().toMillis());
            s.setSoTimeout((int) settings.sshTimeout().toMillis());
            InputStream in = s.getInputStream();
            byte[] b = in.readNBytes(4);
            String banner = new String(b, StandardCharsets.US_ASCII);
            return banner.equals("SSH-") ? null : "no SSH banner from " + address + ":" + settings.sshPort();
        } catch (IOException e) {
            return address + ":" + settings.sshPort() + ": " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
        }
    }
}
