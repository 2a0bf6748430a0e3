package dev.understudy.bundle;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TarTest {
    @TempDir
    Path dir;

    static final List<Tar.Entry> ENTRIES = List.of(
            new Tar.Entry("MANIFEST.json", 0600, "{}".getBytes(StandardCharsets.UTF_8)),
            new Tar.Entry("files/keyring/" + "A".repeat(64), 0600, new byte[36]),
            new Tar.Entry("files/" + "d/".repeat(60) + "deep.key", 0640, "x".repeat(1000).getBytes(StandardCharsets.UTF_8)));

    @Test
    void roundTripKeepsPathsModesAndContent() throws Exception {
        List<Tar.Entry> back = Tar.read(Tar.write(ENTRIES));
        assertEquals(ENTRIES.size(), back.size());
        for (int i = 0; i < ENTRIES.size(); i++) {
            assertEquals(ENTRIES.get(i).path(), back.get(i).path());
            assertEquals(ENTRIES.get(i).mode(), back.get(i).mode());
            assertArrayEquals(ENTRIES.get(i).content(), back.get(i).content());
        }
    }

    @Test
    void gnuTarReadsWhatWeWrite() throws Exception {
        Path f = dir.resolve("a.tar");
        Files.write(f, Tar.write(ENTRIES));
        Process p = new ProcessBuilder("tar", "-tvf", f.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        assertTrue(out.contains("MANIFEST.json") && out.contains("deep.key") && out.contains("-rw-r-----"), out);
    }

    @Test
    void corruptTruncatedAndUnsafeArchivesAreRefused() {
        byte[] good = Tar.write(ENTRIES);
        byte[] flipped = good.clone();
        flipped[10] ^= 1;
        assertTrue(assertThrows(Tar.TarException.class, () -> Tar.read(flipped)).getMessage().contains("checksum"));
        byte[] cut = Arrays.copyOf(good, 700);
        assertTrue(assertThrows(Tar.TarException.class, () -> Tar.read(cut)).getMessage().contains("truncated"));
        byte[] noEnd = Arrays.copyOf(good, 512 * 2);
        assertTrue(assertThrows(Tar.TarException.class, () -> Tar.read(noEnd)).getMessage().contains("truncated"));
        for (String bad : List.of("/etc/passwd", "files/../x", "a//b", "./x")) {
            assertThrows(Tar.TarException.class, () -> Tar.checkPath(bad), bad);
        }
        byte[] link = withHeader(Tar.write(List.of(new Tar.Entry("files/k", 0600, new byte[1]))), 156, (byte) '2');
        assertTrue(assertThrows(Tar.TarException.class, () -> Tar.read(link)).getMessage().contains("only regular files"));
        byte[] escape = withHeader(Tar.write(List.of(new Tar.Entry("files/k", 0600, new byte[1]))), 0, (byte) '/');
        assertTrue(assertThrows(Tar.TarException.class, () -> Tar.read(escape)).getMessage().contains("unsafe path"));
    }

    @Test
    void aSignedSizeOrAnyNonDigitInANumericFieldIsRefusedWithoutQuotingIt() {
        byte[] t = Tar.write(List.of(new Tar.Entry("files/k", 0600, new byte[1])));
        byte[] field = "-0000000001\0".getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < field.length; i++) {
            t = withHeader(t, 124 + i, field[i]);
        }
        byte[] negative = t;
        Tar.TarException e = assertThrows(Tar.TarException.class, () -> Tar.read(negative));
        assertEquals("header field size is not an octal number", e.getMessage());
    }

    /** Changes one header byte and fixes the checksum, as an attacker with the archive would. */
    static byte[] withHeader(byte[] tar, int offset, byte value) {
        byte[] t = tar.clone();
        t[offset] = value;
        java.util.Arrays.fill(t, 148, 156, (byte) ' ');
        long sum = 0;
        for (int i = 0; i < 512; i++) {
            sum += t[i] & 0xff;
        }
        byte[] chk = String.format("%06o", sum).getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(chk, 0, t, 148, 6);
        t[154] = 0;
        return t;
    }
}
