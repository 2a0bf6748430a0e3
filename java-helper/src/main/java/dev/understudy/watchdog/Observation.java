package dev.understudy.watchdog;

import com.fasterxml.jackson.databind.JsonNode;
import dev.understudy.config.HostEntry;
import dev.understudy.node.Evidence;
import java.time.Instant;
import java.util.List;

/** Everything one check saw: etcd, the role, each validator host's own report, the chain, reachability. */
public record Observation(Instant at, String validator, String mainHost, boolean etcdReachable, int etcdMembers,
        int etcdAnswering, String etcdError, String holder, long epoch, long leaseSecondsLeft, List<HostView> hosts,
        Evidence evidence, String chainError, JsonNode lastReport) {

    /** One validator host: its agent's status (null when absent), how old it is, and whether SSH answers. */
    public record HostView(String host, HostEntry.Role role, JsonNode status, long statusAgeMs, boolean sshUp, String sshError) {
        public boolean fresh(long staleMs) {
            return status != null && statusAgeMs <= staleMs;
        }

        public boolean flag(String field) {
            return status != null && status.path(field).asBoolean(false);
        }
    }

    public HostView host(String name) {
        return hosts.stream().filter(h -> h.host().equals(name)).findFirst().orElse(null);
    }
}
