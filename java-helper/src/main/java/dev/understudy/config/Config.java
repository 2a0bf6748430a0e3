package dev.understudy.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.understudy.alert.AlertSettings;
import dev.understudy.cli.BadInputException;
import dev.understudy.watchdog.WatchdogSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The helper's configuration ({@code /etc/understudy/understudy.yml}), rendered by the {@code understudy}
 * role from the inventory. See docs/configuration.md for every key.
 */
public final class Config {
    public static final Path DEFAULT_PATH = Path.of("/etc/understudy/understudy.yml");

    private final Path source;
    private final String validator;
    private final String host;
    private final Path stateDir;
    private final Path identityDir;
    private final Map<String, HostEntry> hosts;
    private final Section node;
    private final SyncSettings sync;
    private final CoordinationSettings coordination;
    private final WatchdogSettings watchdog;
    private final AlertSettings alerts;

    private Config(Path source, String validator, String host, Path stateDir, Path identityDir,
            Map<String, HostEntry> hosts, Section node, SyncSettings sync, CoordinationSettings coordination,
            WatchdogSettings watchdog, AlertSettings alerts) {
        this.source = source;
        this.validator = validator;
        this.host = host;
        this.stateDir = stateDir;
        this.identityDir = identityDir;
        this.hosts = hosts;
        this.node = node;
        this.sync = sync;
        this.coordination = coordination;
        this.watchdog = watchdog;
        this.alerts = alerts;
    }

    public static Config load(Path file) throws BadInputException, IOException {
        return parse(read(file), file);
    }

    /** The configuration file's bytes, for {@link #parse}. */
    public static byte[] read(Path file) throws BadInputException, IOException {
        Objects.requireNonNull(file, "config path required");
        try {
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new BadInputException(file + ": config file does not exist");
        }
    }

    public static Config parse(byte[] yaml, Path file) throws BadInputException {
        JsonNode tree;
        try {
            // a key given twice would silently take the last value and hide the first: refused
            tree = YAMLMapper.builder().enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION).build()
                    .readTree(yaml);
        } catch (JsonProcessingException e) {
            String m = e.getOriginalMessage();
            if (m != null && m.startsWith("Duplicate field ")) {
                throw new BadInputException(file + ": " + m.substring("Duplicate field ".length()) + " is given twice"
                        + (e.getLocation() == null ? "" : " (the second at line " + e.getLocation().getLineNr() + ")")
                        + "; keep one: YAML would silently use the last and ignore the first", e);
            }
            throw new BadInputException(file + ": not valid YAML: " + e.getOriginalMessage()
                    + (e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ", column "
                    + e.getLocation().getColumnNr() + ")"), e);
        } catch (IOException e) {
            throw new BadInputException(file + ": cannot read: " + e.getMessage(), e);
        }
        Section root = Section.root(file.toString(), tree);
        String validator = root.string("validator");
        if (!validator.matches("[A-Za-z0-9_.-]{1,64}")) {
            throw root.error("validator", "expected letters, digits, '.', '_' or '-' (at most 64), got '" + validator + "'");
        }
        String host = root.string("host");
        Path stateDir = root.path("state_dir", Path.of("/var/lib/understudy"));
        Path identityDir = root.path("identity_dir", Path.of("/etc/understudy/identity"));
        Map<String, HostEntry> hosts = new LinkedHashMap<>();
        for (Map.Entry<String, Section> e : root.entries("hosts")) {
            if (!e.getKey().matches("[A-Za-z0-9_.-]{1,253}")) {
                throw root.error("hosts", "host names are letters, digits, '.', '_' or '-' (the agents name each other"
                        + " in signed messages), got '" + e.getKey() + "'");
            }
            hosts.put(e.getKey(), HostEntry.parse(e.getKey(), e.getValue()));
        }
        if (!hosts.containsKey(host)) {
            throw root.error("host", "'" + host + "' is not one of hosts: " + String.join(", ", hosts.keySet()));
        }
        long mains = hosts.values().stream().filter(h -> h.role() == HostEntry.Role.MAIN).count();
        long backups = hosts.values().stream().filter(h -> h.role() == HostEntry.Role.BACKUP).count();
        if (mains != 1) {
            throw root.error("hosts", "expected exactly one host with role main, found " + mains);
        }
        if (backups < 1) {
            throw root.error("hosts", "expected at least one host with role backup");
        }
        Section node = root.has("node") ? root.section("node") : null;
        SyncSettings sync = SyncSettings.parse(root.optionalSection("sync"));
        CoordinationSettings coordination = root.has("coordination")
                ? CoordinationSettings.parse(root.section("coordination")) : null;
        WatchdogSettings watchdog = root.has("watchdog")
                ? WatchdogSettings.parse(root.section("watchdog")) : null;
        AlertSettings alerts = root.has("alerts")
                ? AlertSettings.parse(root.section("alerts")) : null;
        root.done();
        return new Config(file, validator, host, stateDir, identityDir, hosts, node, sync, coordination, watchdog, alerts);
    }

    public Path source() {
        return source;
    }

    public String validator() {
        return validator;
    }

    /** This host's name. */
    public String host() {
        return host;
    }

    public HostEntry self() {
        return hosts.get(host);
    }

    public Path stateDir() {
        return stateDir;
    }

    public Path identityDir() {
        return identityDir;
    }

    public Map<String, HostEntry> hosts() {
        return hosts;
    }

    /** The validator hosts (main and backups) other than this one: where bundles go and whom they come from. */
    public List<HostEntry> peers() {
        List<HostEntry> out = new ArrayList<>();
        for (HostEntry h : hosts.values()) {
            if (!h.name().equals(host) && h.role() != HostEntry.Role.MONITOR) {
                out.add(h);
            }
        }
        return out;
    }

    /** The node adapter's section ({@code node:}); the adapter reads and checks it. Error when absent. */
    public Section node() throws BadInputException {
        if (node == null) {
            throw new BadInputException(source + ": node: is required on a validator host (the node adapter and its settings)");
        }
        return node;
    }

    public boolean hasNode() {
        return node != null;
    }

    public SyncSettings sync() {
        return sync;
    }

    /** The coordination settings; an error naming the file when the section is missing. */
    public CoordinationSettings coordination() throws BadInputException {
        if (coordination == null) {
            throw new BadInputException(source + ": coordination: is required here (the etcd endpoints and the lease timing)");
        }
        return coordination;
    }

    /** The monitor's watchdog settings; an error naming the file when the section is missing. */
    public WatchdogSettings watchdog() throws BadInputException {
        if (watchdog == null) {
            throw new BadInputException(source + ": watchdog: is required here (the monitor's checks)");
        }
        return watchdog;
    }

    public boolean hasWatchdog() {
        return watchdog != null;
    }

    /** The alert channels and limits; null when none are configured (alerts then go to the log only). */
    public AlertSettings alerts() {
        return alerts;
    }

    /** The configured main host's name. */
    public String mainHost() {
        return hosts.values().stream().filter(h -> h.role() == HostEntry.Role.MAIN).findFirst().orElseThrow().name();
    }
}
