package dev.understudy.config;

import dev.understudy.cli.BadInputException;
import dev.understudy.identity.VerifyKey;
import java.util.ArrayList;
import java.util.List;

/**
 * One host of the deployment: its role, address, and the public keys its peers trust.
 *
 * @param agentPort the UDP port on {@code address} where this host's agent answers the holder's failsafe requests
 *     (docs/coordination.md, "When etcd is lost")
 */
public record HostEntry(String name, Role role, String address, List<String> recipients, List<VerifyKey> verifyKeys,
        Drop drop, int agentPort) {

    /** The agents' default failsafe port. */
    public static final int DEFAULT_AGENT_PORT = 7390;

    /** A host's place in the topology (not whether it holds the signing role). */
    public enum Role {
        MAIN, BACKUP, MONITOR;

        public String text() {
            return name().toLowerCase();
        }
    }

    /** The SFTP-only drop account on this host where peers upload bundles. */
    public record Drop(String user, int port, String dir) {
    }

    static HostEntry parse(String name, Section s) throws BadInputException {
        Role role = Role.valueOf(s.choice("role", null, "main", "backup", "monitor").toUpperCase());
        String address = s.string("address");
        List<String> recipients = s.strings("recipients");
        List<VerifyKey> verify = new ArrayList<>();
        List<String> vk = s.strings("verify_keys");
        for (int i = 0; i < vk.size(); i++) {
            verify.add(VerifyKey.parse(vk.get(i), s.where("verify_keys[" + i + "]")));
        }
        for (int i = 0; i < recipients.size(); i++) {
            if (!recipients.get(i).startsWith("age1")) {
                throw s.error("recipients[" + i + "]", "expected an age X25519 recipient (age1...), got '"
                        + recipients.get(i) + "'");
            }
        }
        if (role != Role.MONITOR && (recipients.isEmpty() || verify.isEmpty())) {
            throw s.error(recipients.isEmpty() ? "recipients" : "verify_keys",
                    "a " + role.text() + " host needs at least one (from `understudy keys show` on " + name + ")");
        }
        int agentPort = (int) s.integer("agent_port", DEFAULT_AGENT_PORT, 1, 65535);
        Drop drop = null;
        if (s.has("drop")) {
            Section d = s.section("drop");
            drop = new Drop(d.string("user"), (int) d.integer("port", 22, 1, 65535), d.string("dir", "/incoming"));
            d.done();
        }
        s.done();
        return new HostEntry(name, role, address, List.copyOf(recipients), List.copyOf(verify), drop, agentPort);
    }
}
