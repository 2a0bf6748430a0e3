package dev.understudy.bundle;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The POSIX ustar subset a bundle needs: regular files with a path, a mode and content. Written so that
 * {@code age -d -i KEY bundle.age | tar -x} restores the files in an emergency; read strictly (checksums,
 * sizes, no links, no absolute or ".." paths).
 */
public final class Tar {
    private static final int BLOCK = 512;
    private static final int MAX_ENTRIES = 10_000;

    /** One regular file in the archive. */
    public record Entry(String path, int mode, byte[] content) {
    }

    /** A malformed or truncated archive. */
    public static final class TarException extends Exception {
        private static final long serialVersionUID = 1L;

        TarException(String message) {
            super(message);
        }
    }

    private Tar() {
    }

    public static byte[] write(List<Entry> entries) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Entry e : entries) {
            byte[] h = new byte[BLOCK];
            String name = e.path();
            String prefix = "";
            if (name.getBytes(StandardCharsets.UTF_8).length > 100) {
                int cut = name.lastIndexOf('/', 154);
                if (cut <= 0 || name.length() - cut - 1 > 100) {
                    throw new IllegalArgumentException("path too long for ustar: " + name);
                }
                prefix = name.substring(0, cut);
                name = name.substring(cut + 1);
            }
            put(h, 0, 100, name);
            octal(h, 100, 8, e.mode() & 07777);
            octal(h, 108, 8, 0);
            octal(h, 116, 8, 0);
            octal(h, 124, 12, e.content().length);
            octal(h, 136, 12, 0);
            h[156] = '0';
            put(h, 257, 6, "ustar");
            h[263] = '0';
            h[264] = '0';
            put(h, 265, 32, "root");
            put(h, 297, 32, "root");
            put(h, 345, 155, prefix);
            Arrays.fill(h, 148, 156, (byte) ' ');
            long sum = 0;
            for (byte b : h) {
                sum += b & 0xff;
            }
            byte[] chk = String.format("%06o", sum).getBytes(StandardCharsets.US_ASCII);
            System.arraycopy(chk, 0, h, 148, 6);
            h[154] = 0;
            h[155] = ' ';
            out.writeBytes(h);
            out.writeBytes(e.content());
            int pad = (BLOCK - e.content().length % BLOCK) % BLOCK;
            out.writeBytes(new byte[pad]);
        }
        out.writeBytes(new byte[2 * BLOCK]);
        return out.toByteArray();
    }

    public static List<Entry> read(byte[] tar) throws TarException {
        List<Entry> out = new ArrayList<>();
        int pos = 0;
        while (true) {
            if (pos + BLOCK > tar.length) {
                throw new TarException("archive is truncated: no end-of-archive marker after " + out.size() + " file(s)");
            }
            if (isZero(tar, pos)) {
                return out;
            }
            if (out.size() >= MAX_ENTRIES) {
                throw new TarException("more than " + MAX_ENTRIES + " entries");
            }
            String magic = str(tar, pos + 257, 5);
            if (!magic.equals("ustar")) {
                throw new TarException("entry " + (out.size() + 1) + " is not a ustar header");
            }
            long declared = parseOctal(tar, pos + 148, 8, "checksum");
            long sum = 0;
            for (int i = 0; i < BLOCK; i++) {
                sum += (i >= 148 && i < 156) ? ' ' : tar[pos + i] & 0xff;
            }
            if (sum != declared) {
                throw new TarException("entry " + (out.size() + 1) + " has a bad header checksum (corrupt archive)");
            }
            byte type = tar[pos + 156];
            String name = str(tar, pos, 100);
            String prefix = str(tar, pos + 345, 155);
            String path = prefix.isEmpty() ? name : prefix + "/" + name;
            if (type != '0' && type != 0) {
                throw new TarException(Bundle.shown(path) + ": only regular files are allowed, found type '" + Bundle.shown(String.valueOf((char) type)) + "'");
            }
            checkPath(path);
            long size = parseOctal(tar, pos + 124, 12, "size");
            int mode = (int) parseOctal(tar, pos + 100, 8, "mode");
            pos += BLOCK;
            if (size > tar.length - pos) {
                throw new TarException(Bundle.shown(path) + ": archive is truncated (entry needs " + size + " bytes, "
                        + (tar.length - pos) + " remain)");
            }
            out.add(new Entry(path, mode, Arrays.copyOfRange(tar, pos, pos + (int) size)));
            pos += (int) ((size + BLOCK - 1) / BLOCK * BLOCK);
        }
    }

    static void checkPath(String path) throws TarException {
        if (path.isEmpty() || path.startsWith("/") || path.contains("\\") || path.contains("\0")) {
            throw new TarException("unsafe path '" + Bundle.shown(path) + "'");
        }
        for (String part : path.split("/")) {
            if (part.isEmpty() || part.equals(".") || part.equals("..")) {
                throw new TarException("unsafe path '" + Bundle.shown(path) + "'");
            }
        }
    }

    private static boolean isZero(byte[] b, int pos) {
        for (int i = pos; i < pos + BLOCK; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return true;
    }

    private static void put(byte[] h, int off, int len, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        if (b.length > len) {
            throw new IllegalArgumentException("field too long: " + s);
        }
        System.arraycopy(b, 0, h, off, b.length);
    }

    private static void octal(byte[] h, int off, int len, long v) {
        String s = String.format("%0" + (len - 1) + "o", v);
        put(h, off, len - 1, s);
        h[off + len - 1] = 0;
    }

    private static String str(byte[] b, int off, int len) {
        int end = off;
        while (end < off + len && b[end] != 0) {
            end++;
        }
        return new String(b, off, end - off, StandardCharsets.UTF_8);
    }

    private static long parseOctal(byte[] b, int off, int len, String field) throws TarException {
        String s = str(b, off, len).trim();
        if (s.isEmpty()) {
            return 0;
        }
        // digits only: Long.parseLong would take a sign ("-1"), and a negative size is no size
        if (!s.matches("[0-7]{1,11}")) {
            throw new TarException("header field " + field + " is not an octal number");
        }
        return Long.parseLong(s, 8);
    }
}
