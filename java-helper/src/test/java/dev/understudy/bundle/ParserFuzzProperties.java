package dev.understudy.bundle;

import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.understudy.identity.Identity;
import dev.understudy.identity.VerifyKey;
import dev.understudy.node.KeyFile;
import dev.understudy.node.PeriodKeys;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Fuzzing of what parses bytes from the drop box: the signature file, the archive reader and the unpacking of a
 * decrypted archive. Inputs are valid files with bytes changed (header checksums fixed again half of the time,
 * so the mutation reaches the fields behind the checksum), cut short, or replaced with noise. Every outcome must
 * be a refusal of that upload ({@link Rejection}, {@link Tar.TarException}) and never another exception (which
 * would end a receive run), and no message may carry a marker planted in the content: text from an upload reaches
 * a message only through {@link Bundle#shown}, which masks the marker's dollar sign (a parser quoting a bad
 * token takes it as part of the word).
 */
class ParserFuzzProperties {
    static final String MARKER = "s3cr3t$9f4e";
    static final Identity MAIN = Identity.generate();
    static final Identity BACKUP = Identity.generate();
    static final List<KeyFile> FILES = List.of(
            new KeyFile("config.json", 0600, ("{\"k\":\"" + MARKER + "\"}").getBytes(StandardCharsets.UTF_8)),
            new KeyFile("keyring/" + "AB".repeat(32), 0600, (MARKER + MARKER).getBytes(StandardCharsets.UTF_8)));
    static final Manifest MANIFEST = new Manifest("val1", "lab-main", 9, 7, MARKER, "simnet",
            List.of(new PeriodKeys(5, List.of("AB".repeat(32)))), Manifest.describe(FILES));
    static final byte[] TAR;
    static final List<Integer> HEADERS = new ArrayList<>();
    static final Bundle.Sealed SEALED;
    static final Bundle.Header HEADER;

    static {
        List<Tar.Entry> entries = new ArrayList<>();
        entries.add(new Tar.Entry(Manifest.PATH, 0600, dev.understudy.common.Json.pretty(MANIFEST.json())));
        for (KeyFile f : FILES) {
            entries.add(new Tar.Entry(Manifest.FILES_DIR + f.path(), f.mode(), f.content()));
        }
        TAR = Tar.write(entries);
        int pos = 0;
        for (Tar.Entry e : entries) {
            HEADERS.add(pos);
            pos += 512 + (e.content().length + 511) / 512 * 512;
        }
        try {
            SEALED = Bundle.seal(MANIFEST, FILES, List.of(BACKUP.age().recipient()), MAIN.signing());
            HEADER = Bundle.header(SEALED.signature(), "fuzz");
        } catch (Exception e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    static Bundle.Trust trust() {
        Map<String, List<VerifyKey>> signers = Map.of("lab-main", List.of(MAIN.signing().verifyKey()));
        return new Bundle.Trust("val1", "lab-backup", signers, Set.of(BACKUP.age().recipient()), List.of(BACKUP.age()),
                new HashMap<>(), 1 << 20);
    }

    @Property(tries = 4000)
    void theArchiveReaderOnlyRefuses(@ForAll("archives") byte[] tar) {
        try {
            Tar.read(tar);
        } catch (Tar.TarException e) {
            assertFalse(e.getMessage().contains(MARKER), e.getMessage());
        }
    }

    @Property(tries = 4000)
    void unpackingOnlyRejects(@ForAll("archives") byte[] tar) {
        try {
            Bundle.unpack(HEADER, tar, "fuzz");
        } catch (Rejection e) {
            assertFalse(e.getMessage().contains(MARKER), e.getMessage());
        }
    }

    @Property(tries = 4000)
    void theSignatureFileOnlyRejects(@ForAll("signatureFiles") byte[] sig) {
        try {
            Bundle.open(sig, SEALED.ciphertext(), trust(), "fuzz");
        } catch (Rejection e) {
            assertFalse(e.getMessage().contains(MARKER), e.getMessage());
        }
    }

    @Provide
    Arbitrary<byte[]> archives() {
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(4, mutated(TAR, true)),
                net.jqwik.api.Tuple.of(4, fieldEdits()),
                net.jqwik.api.Tuple.of(2, cut(TAR)),
                net.jqwik.api.Tuple.of(1, noise()));
    }

    @Provide
    Arbitrary<byte[]> signatureFiles() {
        byte[] planted = new String(SEALED.signature(), StandardCharsets.UTF_8)
                .replaceFirst("\\{", java.util.regex.Matcher.quoteReplacement("{\"x\":\"" + MARKER + "\",")).getBytes(StandardCharsets.UTF_8);
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(4, mutated(SEALED.signature(), false)),
                net.jqwik.api.Tuple.of(3, mutated(planted, false)),
                net.jqwik.api.Tuple.of(1, cut(planted)),
                net.jqwik.api.Tuple.of(1, noise()));
    }

    /** 1 to 8 bytes set to chosen values; for an archive, header checksums made right again half of the time. */
    private static Arbitrary<byte[]> mutated(byte[] base, boolean archive) {
        // half the changes hit an archive header's fields, and half write a byte parsers treat specially
        Arbitrary<Integer> anywhere = Arbitraries.integers().between(0, base.length - 1);
        Arbitrary<Integer> at = archive ? Arbitraries.oneOf(anywhere, Combinators.combine(Arbitraries.of(HEADERS),
                Arbitraries.integers().between(0, 511)).as(Integer::sum)) : anywhere;
        Arbitrary<Integer> value = Arbitraries.oneOf(Arbitraries.integers().between(0, 255),
                Arbitraries.of((int) '-', (int) '+', (int) '0', (int) '7', (int) '8', (int) ' ', 0, (int) '/', (int) '.',
                        (int) '"', (int) '\\', (int) '{', (int) '[', 0xff));
        Arbitrary<int[]> change = Combinators.combine(at, value).as((a, v) -> new int[] {a, v});
        return Combinators.combine(change.list().ofMinSize(1).ofMaxSize(8), Arbitraries.of(true, false)).as((cs, fix) -> {
            byte[] b = base.clone();
            for (int[] c : cs) {
                b[c[0]] = (byte) c[1];
            }
            if (archive && fix) {
                HEADERS.forEach(h -> checksum(b, h));
            }
            return b;
        });
    }

    /** Header fields of the ustar format: offset and length. */
    static final int[][] FIELDS = {{0, 100}, {100, 8}, {108, 8}, {116, 8}, {124, 12}, {136, 12}, {156, 1}, {257, 6},
        {345, 155}};

    /** A whole header field overwritten with a value a parser may mishandle; checksum made right. */
    private static Arbitrary<byte[]> fieldEdits() {
        Arbitrary<String> values = Arbitraries.oneOf(Arbitraries.of("-1", "-0000000001", "+0000000001", "77777777777",
                "7777777777777", "99", "", " ", "0x10", "../x", "files/../../x", "/etc/shadow", ".", "files//k", MARKER,
                "files/" + MARKER, "\u0000\u0000", "1", "5", "2", "ustar", "L"),
                Arbitraries.strings().ofMaxLength(12));
        Arbitrary<byte[]> edit = Combinators.combine(Arbitraries.of(HEADERS), Arbitraries.of(FIELDS), values)
                .as((h, f, v) -> {
                    byte[] b = TAR.clone();
                    byte[] vb = v.getBytes(StandardCharsets.UTF_8);
                    Arrays.fill(b, h + f[0], h + f[0] + f[1], (byte) 0);
                    System.arraycopy(vb, 0, b, h + f[0], Math.min(vb.length, f[1]));
                    checksum(b, h);
                    return b;
                });
        return edit;
    }

    private static Arbitrary<byte[]> cut(byte[] base) {
        return Arbitraries.integers().between(0, base.length - 1).map(n -> Arrays.copyOf(base, n));
    }

    private static Arbitrary<byte[]> noise() {
        return Arbitraries.bytes().array(byte[].class).ofMaxSize(2048).map(b -> {
            byte[] m = MARKER.getBytes(StandardCharsets.UTF_8);
            byte[] out = Arrays.copyOf(b, b.length + m.length);
            System.arraycopy(m, 0, out, b.length, m.length);
            return out;
        }).flatMap(b -> Arbitraries.of(b, secretFirst(b)));
    }

    /** Another file's content where a bundle file was expected: a secret at the start, as in "token: ...". */
    private static byte[] secretFirst(byte[] rest) {
        byte[] m = (MARKER + "\n").getBytes(StandardCharsets.UTF_8);
        byte[] out = Arrays.copyOf(m, m.length + rest.length);
        System.arraycopy(rest, 0, out, m.length, rest.length);
        return out;
    }

    private static void checksum(byte[] t, int at) {
        Arrays.fill(t, at + 148, at + 156, (byte) ' ');
        long sum = 0;
        for (int i = 0; i < 512; i++) {
            sum += t[at + i] & 0xff;
        }
        byte[] chk = String.format("%06o", sum & 0777777).getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(chk, 0, t, at + 148, 6);
        t[at + 154] = 0;
    }
}
