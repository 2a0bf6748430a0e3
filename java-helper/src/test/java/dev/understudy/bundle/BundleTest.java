package dev.understudy.bundle;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.understudy.identity.Identity;
import dev.understudy.identity.VerifyKey;
import dev.understudy.node.KeyFile;
import dev.understudy.node.PeriodKeys;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BundleTest {
    @TempDir
    Path dir;

    final Identity main = Identity.generate();
    final Identity backup = Identity.generate();
    final Identity stranger = Identity.generate();
    static final List<KeyFile> FILES = List.of(
            new KeyFile("config.json", 0600, "{\"validators\":[]}".getBytes(StandardCharsets.UTF_8)),
            new KeyFile("keyring/" + "AB".repeat(32), 0600, new byte[] {0x17, 0x23, 0x68, 0x49, 1, 2, 3}));

    Manifest manifest(long seq) {
        return new Manifest("val1", "lab-main", seq, 7, "2026-11-21T00:00:00Z", "simnet",
                List.of(new PeriodKeys(5, List.of("AB".repeat(32)))), Manifest.describe(FILES));
    }

    Bundle.Sealed seal(long seq) throws Exception {
        return Bundle.seal(manifest(seq), FILES, List.of(backup.age().recipient()), main.signing());
    }

    Bundle.Trust trust(Map<String, Long> last) {
        Map<String, List<VerifyKey>> signers = Map.of("lab-main", List.of(main.signing().verifyKey()));
        return new Bundle.Trust("val1", "lab-backup", signers, Set.of(backup.age().recipient()), List.of(backup.age()),
                new HashMap<>(last), 1 << 20);
    }

    @Test
    void roundTripRestoresEveryFileAndTheManifest() throws Exception {
        Bundle.Sealed s = seal(100);
        Bundle.Opened o = Bundle.open(s.signature(), s.ciphertext(), trust(Map.of()), "test");
        assertEquals(100, o.header().seq());
        assertEquals(7, o.manifest().epoch());
        assertEquals(List.of(5L), o.manifest().periods().stream().map(PeriodKeys::period).toList());
        for (KeyFile f : FILES) {
            assertArrayEquals(f.content(), o.files().get(f.path()).content());
            assertEquals(0600, o.files().get(f.path()).mode());
        }
        assertEquals("val1-lab-main-00000000000000000100", s.name());
    }

    @Test
    void theStockAgeToolOpensABundleInAnEmergency() throws Exception {
        Bundle.Sealed s = seal(1);
        Path age = dir.resolve(s.name() + Bundle.AGE);
        Files.write(age, s.ciphertext());
        Path key = dir.resolve("backup-age.key");
        Files.write(key, backup.age().file());
        Path tar = dir.resolve("bundle.tar");
        Process p = new ProcessBuilder("age", "-d", "-i", key.toString(), "-o", tar.toString(), age.toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), "age -d failed (is Debian's age installed? make deps): " + out);
        Path x = Files.createDirectories(dir.resolve("x"));
        Process t = new ProcessBuilder("tar", "-xf", tar.toString(), "-C", x.toString()).redirectErrorStream(true).start();
        assertEquals(0, t.waitFor(), new String(t.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        assertArrayEquals(FILES.get(1).content(), Files.readAllBytes(x.resolve("files/keyring/" + "AB".repeat(32))));
        assertTrue(Files.readString(x.resolve("MANIFEST.json")).contains("\"sha256\""));
    }

    static Rejection.Reason refused(Bundle.Sealed s, byte[] ct, Bundle.Trust t) {
        return assertThrows(Rejection.class, () -> Bundle.open(s.signature(), ct, t, "test")).reason();
    }

    @Test
    void eachBadBundleIsRefusedWithItsOwnReason() throws Exception {
        Bundle.Sealed s = seal(50);
        byte[] ct = s.ciphertext();
        byte[] flipped = ct.clone();
        flipped[flipped.length - 5] ^= 0x40;
        assertEquals(Rejection.Reason.BAD_SIGNATURE, refused(s, flipped, trust(Map.of())));
        assertEquals(Rejection.Reason.TRUNCATED, refused(s, Arrays.copyOf(ct, ct.length - 100), trust(Map.of())));
        assertEquals(Rejection.Reason.TAMPERED, refused(s, Arrays.copyOf(ct, ct.length + 1), trust(Map.of())));
        assertEquals(Rejection.Reason.REPLAYED, refused(s, ct, trust(Map.of("lab-main", 50L))));
        assertEquals(Rejection.Reason.REPLAYED, refused(s, ct, trust(Map.of("lab-main", 51L))));

        Bundle.Sealed forged = Bundle.seal(manifest(60), FILES, List.of(backup.age().recipient()), stranger.signing());
        assertEquals(Rejection.Reason.BAD_SIGNATURE, refused(forged, forged.ciphertext(), trust(Map.of())));

        Bundle.Sealed elsewhere = Bundle.seal(manifest(61), FILES, List.of(stranger.age().recipient()), main.signing());
        assertEquals(Rejection.Reason.WRONG_RECIPIENT, refused(elsewhere, elsewhere.ciphertext(), trust(Map.of())));

        Manifest otherValidator = new Manifest("val2", "lab-main", 62, 7, "t", "simnet", List.of(), Manifest.describe(FILES));
        Bundle.Sealed wrongVal = Bundle.seal(otherValidator, FILES, List.of(backup.age().recipient()), main.signing());
        assertEquals(Rejection.Reason.WRONG_VALIDATOR, refused(wrongVal, wrongVal.ciphertext(), trust(Map.of())));

        Manifest unknownSource = new Manifest("val1", "intruder", 63, 7, "t", "simnet", List.of(), Manifest.describe(FILES));
        Bundle.Sealed intruder = Bundle.seal(unknownSource, FILES, List.of(backup.age().recipient()), main.signing());
        assertEquals(Rejection.Reason.UNKNOWN_SIGNER, refused(intruder, intruder.ciphertext(), trust(Map.of())));

        Bundle.Trust small = new Bundle.Trust("val1", "lab-backup", trust(Map.of()).signers(), Set.of(backup.age().recipient()),
                List.of(backup.age()), new HashMap<>(), 100);
        assertEquals(Rejection.Reason.OVERSIZED, refused(s, ct, small));

        assertEquals(Rejection.Reason.MALFORMED, assertThrows(Rejection.class,
                () -> Bundle.open("{\"header\":1}".getBytes(StandardCharsets.UTF_8), ct, trust(Map.of()), "t")).reason());
        assertEquals(Rejection.Reason.MALFORMED, assertThrows(Rejection.class,
                () -> Bundle.open("not json".getBytes(StandardCharsets.UTF_8), ct, trust(Map.of()), "t")).reason());
    }

    @Test
    void aSignedBundleWhoseInsideDisagreesIsTampered() throws Exception {
        // Someone holding the main's signing key but not following the format: the receiver still checks the inside.
        byte[] badHash = Tar.write(List.of(new Tar.Entry(Manifest.PATH, 0600, dev.understudy.common.Json.pretty(manifest(70).json())),
                new Tar.Entry("files/config.json", 0600, "{\"validators\":[1]}".getBytes(StandardCharsets.UTF_8)),
                new Tar.Entry("files/keyring/" + "AB".repeat(32), 0600, FILES.get(1).content())));
        Bundle.Sealed s1 = Bundle.sealArchive(manifest(70), badHash, List.of(backup.age().recipient()), main.signing());
        Rejection r1 = assertThrows(Rejection.class, () -> Bundle.open(s1.signature(), s1.ciphertext(), trust(Map.of()), "t"));
        assertEquals(Rejection.Reason.TAMPERED, r1.reason());
        assertTrue(r1.getMessage().contains("config.json does not match its SHA-256"), r1.getMessage());

        byte[] mismatch = Tar.write(List.of(new Tar.Entry(Manifest.PATH, 0600, dev.understudy.common.Json.pretty(manifest(71).json())),
                new Tar.Entry("files/config.json", 0600, FILES.get(0).content()),
                new Tar.Entry("files/keyring/" + "AB".repeat(32), 0600, FILES.get(1).content())));
        Bundle.Sealed s2 = Bundle.sealArchive(manifest(72), mismatch, List.of(backup.age().recipient()), main.signing());
        Rejection r2 = assertThrows(Rejection.class, () -> Bundle.open(s2.signature(), s2.ciphertext(), trust(Map.of()), "t"));
        assertEquals(Rejection.Reason.TAMPERED, r2.reason());
        assertTrue(r2.getMessage().contains("does not match the signed header"), r2.getMessage());

        byte[] extra = Tar.write(List.of(new Tar.Entry(Manifest.PATH, 0600, dev.understudy.common.Json.pretty(manifest(73).json())),
                new Tar.Entry("files/config.json", 0600, FILES.get(0).content()),
                new Tar.Entry("files/keyring/" + "AB".repeat(32), 0600, FILES.get(1).content()),
                new Tar.Entry("files/evil", 0600, new byte[1])));
        Bundle.Sealed s3 = Bundle.sealArchive(manifest(73), extra, List.of(backup.age().recipient()), main.signing());
        assertEquals(Rejection.Reason.TAMPERED, assertThrows(Rejection.class,
                () -> Bundle.open(s3.signature(), s3.ciphertext(), trust(Map.of()), "t")).reason());
    }
}
