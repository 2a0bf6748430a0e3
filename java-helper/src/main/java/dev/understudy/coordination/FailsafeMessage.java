package dev.understudy.coordination;

import dev.understudy.cli.BadInputException;
import dev.understudy.identity.SigningKey;
import dev.understudy.identity.VerifyKey;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;

/**
 * The failsafe's two datagrams, each a few text lines signed with the sender's host identity (the Ed25519 key that
 * signs its bundles and release records) and checked against that host's {@code verify_keys} in the config:
 *
 * <pre>
 * understudy-failsafe-request/1      understudy-failsafe-answer/1
 * VALIDATOR                          VALIDATOR
 * FROM (the holder)                  FROM (the answering agent)
 * EPOCH it holds                     TO (the holder)
 * SENT wall-clock ms                 EPOCH of the request
 * ASKED host,host (every agent)      SENT of the request
 * BASE64 signature                   granted | refused
 *                                    REASON (one line, for the holder's log)
 *                                    BASE64 signature
 * </pre>
 *
 * The signature covers every line before it. An answer names the request it answers (holder, epoch, send time), so
 * it counts only for that request; a request's send time rises with every request of a holder, so a replayed one is
 * refused (docs/coordination.md, "When etcd is lost").
 */
final class FailsafeMessage {
    static final String REQUEST = "understudy-failsafe-request/1";
    static final String ANSWER = "understudy-failsafe-answer/1";
    /** Larger datagrams are not read: a request for a dozen hosts is a few hundred bytes. */
    static final int MAX_BYTES = 1400;

    private FailsafeMessage() {
    }

    /** A holder asks: "promise not to take the role while I hold epoch {@code epoch}". */
    record Request(String validator, String from, long epoch, long sentMs, List<String> asked) {
        Request {
            asked = List.copyOf(asked);
        }

        String body() {
            return REQUEST + "\n" + validator + "\n" + from + "\n" + epoch + "\n" + sentMs + "\n" + String.join(",", asked);
        }
    }

    /** An agent answers one request. */
    record Answer(String validator, String from, String to, long epoch, long requestMs, boolean granted, String reason) {
        Answer {
            reason = oneLine(reason);
        }

        String body() {
            return ANSWER + "\n" + validator + "\n" + from + "\n" + to + "\n" + epoch + "\n" + requestMs + "\n"
                    + (granted ? "granted" : "refused") + "\n" + reason;
        }
    }

    /** A parsed datagram and what its signature covers; {@link #verifies} checks it against the sender's keys. */
    record Signed(Object message, String sender, byte[] covered, byte[] signature) {
        boolean verifies(List<VerifyKey> keys) {
            for (VerifyKey k : keys) {
                if (k.verify(covered, signature)) {
                    return true;
                }
            }
            return false;
        }
    }

    static byte[] encode(String body, SigningKey key) {
        byte[] covered = body.getBytes(StandardCharsets.UTF_8);
        return (body + "\n" + Base64.getEncoder().encodeToString(key.sign(covered))).getBytes(StandardCharsets.UTF_8);
    }

    /** Parses a datagram (not yet verified); a malformed one is refused with what is wrong. */
    static Signed parse(byte[] data, int length) throws BadInputException {
        if (length > MAX_BYTES) {
            throw new BadInputException("failsafe datagram of " + length + " bytes (at most " + MAX_BYTES + ")");
        }
        String text = new String(data, 0, length, StandardCharsets.UTF_8);
        int cut = text.lastIndexOf('\n');
        if (cut < 0) {
            throw new BadInputException("failsafe datagram without a signature line");
        }
        byte[] signature;
        try {
            signature = Base64.getDecoder().decode(text.substring(cut + 1));
        } catch (IllegalArgumentException e) {
            throw new BadInputException("failsafe datagram: the signature line is not base64");
        }
        String body = text.substring(0, cut);
        String[] l = body.split("\n", -1);
        byte[] covered = body.getBytes(StandardCharsets.UTF_8);
        if (l[0].equals(REQUEST) && l.length == 6) {
            List<String> asked = l[5].isEmpty() ? List.of() : Arrays.asList(l[5].split(",", -1));
            Request r = new Request(name(l[1]), name(l[2]), number(l[3]), number(l[4]), asked.stream().map(FailsafeMessage::nameOrEmpty).toList());
            return new Signed(r, r.from(), covered, signature);
        }
        if (l[0].equals(ANSWER) && l.length == 8 && (l[6].equals("granted") || l[6].equals("refused"))) {
            Answer a = new Answer(name(l[1]), name(l[2]), name(l[3]), number(l[4]), number(l[5]), l[6].equals("granted"), l[7]);
            return new Signed(a, a.from(), covered, signature);
        }
        throw new BadInputException("failsafe datagram: expected a " + REQUEST + " (6 lines) or " + ANSWER
                + " (8 lines) before the signature, got '" + oneLine(l[0]) + "' with " + l.length + " lines");
    }

    private static String name(String s) throws BadInputException {
        if (s.isEmpty() || s.length() > 253 || !s.matches("[A-Za-z0-9._-]+")) {
            throw new BadInputException("failsafe datagram: '" + oneLine(s) + "' is not a host or validator name");
        }
        return s;
    }

    private static String nameOrEmpty(String s) {
        try {
            return name(s);
        } catch (BadInputException e) {
            return "";
        }
    }

    private static long number(String s) throws BadInputException {
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw new BadInputException("failsafe datagram: '" + oneLine(s) + "' is not a number");
        }
    }

    private static String oneLine(String s) {
        String t = s.replaceAll("[\\r\\n]", " ");
        return t.length() > 200 ? t.substring(0, 200) : t;
    }
}
