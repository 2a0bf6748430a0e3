package dev.understudy.node;

import java.util.Base64;
import java.util.HexFormat;

/**
 * Key ids as TON-family nodes store them: the 32-byte hash of a key (the SHA-256 of its TL-serialised public key), in
 * base64 in the nodes' config.json, in hex in keyring file names and in the chain's records.
 */
public final class KeyIds {
    private KeyIds() {
    }

    /** A base64 key hash as config.json stores it, in upper-case hex; an error naming {@code where} when it is not one. */
    public static String hex(String base64, String where) throws NodeException {
        byte[] raw;
        try {
            raw = Base64.getDecoder().decode(base64);
        } catch (IllegalArgumentException e) {
            throw NodeException.badOutput(where + ": not base64: " + e.getMessage());
        }
        if (raw.length != 32) {
            throw NodeException.badOutput(where + ": expected a 32-byte key hash, got " + raw.length + " bytes");
        }
        return HexFormat.of().withUpperCase().formatHex(raw);
    }
}
