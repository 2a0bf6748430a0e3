package dev.understudy.identity;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.understudy.cli.BadInputException;
import dev.understudy.cli.CheckFailedException;
import dev.understudy.common.AtomicFiles;
import dev.understudy.common.FileTrees;
import dev.understudy.common.Json;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A host's identities on disk:
 * <pre>
 *   DIR/age.key, DIR/signing.key              the current identity (mode 0600)
 *   DIR/next/age.key, DIR/next/signing.key    made by rotate-keys prepare, current after commit
 *   DIR/retired/TIMESTAMP/...                 the previous identity after commit, until retire
 * </pre>
 * Bundles are opened with any of them (current first), so no step of a rotation leaves a stored bundle
 * that nothing can open.
 */
public final class IdentityStore {
    public static final String AGE_FILE = "age.key";
    public static final String SIGNING_FILE = "signing.key";
    private final Path dir;

    public IdentityStore(Path dir) {
        this.dir = Objects.requireNonNull(dir, "identity directory required");
    }

    public Path dir() {
        return dir;
    }

    public boolean exists() {
        return FileTrees.exists(dir.resolve(AGE_FILE)) || FileTrees.exists(dir.resolve(SIGNING_FILE));
    }

    /** Creates the current identity; refuses to replace one unless forced. */
    public Identity init(boolean force, String owner) throws IOException, CheckFailedException {
        if (exists() && !force) {
            throw new CheckFailedException("an identity already exists in " + dir + "; --force replaces it, and bundles"
                    + " encrypted to the old one can then no longer be opened here (use rotate-keys to change keys safely)");
        }
        Identity id = Identity.generate();
        write(dir, id, owner);
        return id;
    }

    private static void write(Path d, Identity id, String owner) throws IOException {
        AtomicFiles.createPrivateDirectories(d);
        AtomicFiles.write(d.resolve(AGE_FILE), id.age().file());
        AtomicFiles.write(d.resolve(SIGNING_FILE), id.signing().pem());
        if (owner != null) {
            FileTrees.chown(d, owner);
        }
    }

    private static Identity read(Path d) throws IOException, BadInputException {
        Path a = d.resolve(AGE_FILE);
        Path s = d.resolve(SIGNING_FILE);
        if (!FileTrees.exists(a) || !FileTrees.exists(s)) {
            throw new BadInputException(d + ": no identity (" + AGE_FILE + " and " + SIGNING_FILE
                    + "); run `understudy keys init`");
        }
        return new Identity(AgeIdentity.fromFile(Files.readAllBytes(a), a.toString()),
                SigningKey.fromPem(Files.readAllBytes(s), s.toString()));
    }

    public Identity current() throws IOException, BadInputException {
        return read(dir);
    }

    public Identity next() throws IOException, BadInputException {
        Path n = dir.resolve("next");
        return Files.isDirectory(n) ? read(n) : null;
    }

    public List<Path> retiredDirs() throws IOException {
        List<Path> out = new ArrayList<>();
        Path r = dir.resolve("retired");
        if (Files.isDirectory(r)) {
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(r)) {
                // names starting with "." are being written or deleted: never read half an identity
                ds.forEach(p -> {
                    if (!p.getFileName().toString().startsWith(".")) {
                        out.add(p);
                    }
                });
            }
        }
        out.sort(null);
        return out;
    }

    /** A read of several identity files that a rotation (another process) may be changing at the same time. */
    private interface Snapshot<T> {
        T read() throws IOException, BadInputException;
    }

    /**
     * Reads again when an identity listed a moment ago has moved (a rotation step in another process renames
     * whole directories, so a second look is consistent); a damage that stays is reported after the last try.
     */
    private static <T> T stable(Snapshot<T> s) throws IOException, BadInputException {
        for (int attempt = 1; ; attempt++) {
            try {
                return s.read();
            } catch (IOException | BadInputException e) {
                if (attempt == 5) {
                    throw e;
                }
                try {
                    Thread.sleep(20L * attempt);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    /** Every identity that may open a bundle here: current, then next, then retired ones. */
    public List<AgeIdentity> decryptionIdentities() throws IOException, BadInputException {
        return stable(this::readDecryptionIdentities);
    }

    private List<AgeIdentity> readDecryptionIdentities() throws IOException, BadInputException {
        List<AgeIdentity> out = new ArrayList<>();
        out.add(current().age());
        Identity n = next();
        if (n != null) {
            out.add(n.age());
        }
        for (Path r : retiredDirs()) {
            out.add(read(r).age());
        }
        return out;
    }

    /** Rotation, step 1: a new identity beside the current one. */
    public Identity prepareNext(String owner) throws IOException, BadInputException, CheckFailedException {
        current();
        if (Files.isDirectory(dir.resolve("next"))) {
            throw new CheckFailedException(dir.resolve("next") + " already exists: a rotation is under way; finish it with"
                    + " `rotate-keys commit` or remove that directory to start over");
        }
        Identity id = Identity.generate();
        Path tmp = dir.resolve(".next-partial");
        FileTrees.delete(tmp);
        write(tmp, id, owner);
        AtomicFiles.move(tmp, dir.resolve("next"));
        return id;
    }

    /** Rotation, step 3: next becomes current; current moves to retired/ (still opens bundles until retire). */
    public void promoteNext() throws IOException, BadInputException, CheckFailedException {
        Identity n = next();
        if (n == null) {
            throw new CheckFailedException("no rotation under way: " + dir.resolve("next") + " does not exist");
        }
        String stamp = Instant.now().toString().replace(':', '-');
        Path retired = dir.resolve("retired").resolve(stamp);
        Path partial = dir.resolve("retired").resolve(".partial-" + stamp);
        AtomicFiles.createPrivateDirectories(retired.getParent());
        AtomicFiles.createPrivateDirectories(partial);
        // Copy the current identity out first (complete before it appears under its name, so a reader never
        // sees half of it), then replace it with next, each step durable. At every moment both keys exist
        // somewhere this store reads.
        for (String f : List.of(AGE_FILE, SIGNING_FILE)) {
            AtomicFiles.copy(dir.resolve(f), partial.resolve(f), AtomicFiles.PRIVATE);
        }
        AtomicFiles.move(partial, retired);
        for (String f : List.of(AGE_FILE, SIGNING_FILE)) {
            AtomicFiles.copy(dir.resolve("next").resolve(f), dir.resolve(f), AtomicFiles.PRIVATE);
        }
        Path gone = dir.resolve(".next-deleting");
        FileTrees.delete(gone);
        AtomicFiles.move(dir.resolve("next"), gone);
        FileTrees.delete(gone);
    }

    /** Rotation, step 5: forget retired identities (overwrite, then delete). */
    public int retire() throws IOException {
        List<Path> r = retiredDirs();
        for (Path named : r) {
            // out of readers' sight first (an atomic rename), then overwritten and deleted
            Path p = named.resolveSibling(".deleting-" + named.getFileName());
            AtomicFiles.move(named, p);
            for (String f : List.of(AGE_FILE, SIGNING_FILE)) {
                Path k = p.resolve(f);
                if (FileTrees.exists(k)) {
                    AtomicFiles.write(k, new byte[(int) Files.size(k)]);
                }
            }
            FileTrees.delete(p);
        }
        return r.size();
    }

    public ObjectNode describe() throws IOException, BadInputException {
        return stable(this::readDescription);
    }

    private ObjectNode readDescription() throws IOException, BadInputException {
        ObjectNode n = Json.object();
        Identity c = current();
        n.put("recipient", c.age().recipient());
        n.put("verify_key", c.signing().verifyKey().toString());
        Identity nx = next();
        if (nx != null) {
            n.putObject("next").put("recipient", nx.age().recipient()).put("verify_key", nx.signing().verifyKey().toString());
        } else {
            n.putNull("next");
        }
        ArrayNode ret = n.putArray("retired");
        for (Path p : retiredDirs()) {
            Identity r = read(p);
            ret.addObject().put("recipient", r.age().recipient()).put("verify_key", r.signing().verifyKey().toString());
        }
        return n;
    }
}
