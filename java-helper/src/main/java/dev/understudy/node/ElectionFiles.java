package dev.understudy.node;

import dev.understudy.cli.BadInputException;
import dev.understudy.common.AtomicFiles;
import dev.understudy.common.FileTrees;
import dev.understudy.config.Section;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The files a standby needs to bid in the next election after a failover, beside the keys it signs with: the
 * validator wallet the election software bids from (mytoncore's {@code wallets/NAME.pk} and {@code NAME.addr} on TON,
 * the election scripts' {@code msig.keys.json} and addresses on Everscale), as the operator lists them in the
 * adapter's {@code election_files}. They travel in the bundle as {@code election/BASENAME}, under the same encryption
 * and signature as the keys, and a standby writes each back to its own configured path, owned like its directory (the
 * election software's user). Only the holder runs the elections, so only the holder bids with them.
 */
public final class ElectionFiles {
    public static final String PREFIX = "election/";
    /** An election file is a wallet key or address, or a small settings file: anything larger is a wrong path. */
    static final long MAX_BYTES = 1 << 20;

    private final List<Path> paths;
    /** The setting, as error messages name it ({@code node.ton.election_files}). */
    private final String setting;

    public ElectionFiles(List<Path> paths, String setting) {
        this.paths = List.copyOf(paths);
        this.setting = setting;
    }

    /** The configured files' paths. */
    public List<Path> paths() {
        return paths;
    }

    /** Reads {@code election_files}: absolute paths with distinct file names (the name is the bundle entry). */
    public static ElectionFiles fromConfig(Section c) throws BadInputException {
        List<Path> out = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (String s : c.strings("election_files")) {
            Path p = Path.of(s);
            if (!p.isAbsolute() || p.normalize().getNameCount() == 0 || !p.normalize().equals(p)) {
                throw c.error("election_files", "expected absolute, normalized file paths, got '" + s + "'");
            }
            if (!names.add(p.getFileName().toString())) {
                throw c.error("election_files", "two files named '" + p.getFileName() + "': each file name must be unique, it names "
                        + "the file in the bundle");
            }
            out.add(p);
        }
        return new ElectionFiles(out, c.path() + ".election_files");
    }

    /** The listed files as bundle entries; one that is missing, not a regular file or too large fails the push. */
    public List<KeyFile> read() throws NodeException {
        List<KeyFile> out = new ArrayList<>();
        for (Path p : paths) {
            try {
                if (!Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                    throw NodeException.badOutput(setting + " names " + p + ", which is not a regular file (missing, or a "
                            + "link or directory)");
                }
                if (Files.size(p) > MAX_BYTES) {
                    throw NodeException.badOutput(setting + " names " + p + ", larger than " + MAX_BYTES + " bytes");
                }
                // a path the election software's user can write: never through a link, never past the cap
                out.add(new KeyFile(PREFIX + p.getFileName(), 0600, FileTrees.readRegular(p, MAX_BYTES)));
            } catch (IOException e) {
                throw NodeException.unavailable("cannot read " + p + " (" + setting + "): " + e.getMessage(), e);
            }
        }
        return out;
    }

    /**
     * Writes each listed file from the bundle's {@code election/} to its configured path. A bundle without one of
     * them (the main lists other files) or a path whose directory does not exist (no election software here) is an
     * error naming it; nothing is written then.
     */
    public void install(Path dir) throws NodeException {
        for (Path p : paths) {
            Path from = dir.resolve(PREFIX + p.getFileName());
            if (!Files.isRegularFile(from, LinkOption.NOFOLLOW_LINKS)) {
                throw NodeException.badOutput("bundle: " + PREFIX + p.getFileName() + " missing (" + setting + " on this host names "
                        + p + "; the main must list the same files)");
            }
            if (!Files.isDirectory(p.getParent(), LinkOption.NOFOLLOW_LINKS)) {
                throw NodeException.badOutput(p.getParent() + " does not exist (" + setting + " names " + p
                        + "): install the election software and create the wallet directory on this host first");
            }
        }
        for (Path p : paths) {
            try {
                AtomicFiles.copy(dir.resolve(PREFIX + p.getFileName()), p, AtomicFiles.PRIVATE);
            } catch (IOException e) {
                throw NodeException.unavailable("writing " + p + " (" + setting + "): " + e.getMessage(), e);
            }
        }
    }
}
