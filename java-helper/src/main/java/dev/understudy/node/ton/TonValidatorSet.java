package dev.understudy.node.ton;

import dev.understudy.node.NodeException;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code lite-client -c "getconfig 34"} (current validator set) or {@code 36} (next): the set's
 * {@code utime_since} (the election id, which the validator's {@code addpermkey} start and config.json's
 * {@code election_date} equal), {@code utime_until}, and the ADNL addresses in it (upper-case hex). A next set that
 * does not exist yet ({@code ConfigParam(36) = (null)}) has {@code since} −1.
 */
public record TonValidatorSet(long since, long until, Set<String> adnlAddrs) {
    private static final Pattern SINCE = Pattern.compile("utime_since:(\\d+)");
    private static final Pattern UNTIL = Pattern.compile("utime_until:(\\d+)");
    private static final Pattern ADNL = Pattern.compile("adnl_addr:x([0-9A-Fa-f]{64})");

    public TonValidatorSet {
        adnlAddrs = Set.copyOf(adnlAddrs);
    }

    public boolean exists() {
        return since >= 0;
    }

    public boolean contains(String adnlHex) {
        return adnlAddrs.contains(adnlHex.toUpperCase(Locale.ROOT));
    }

    public static TonValidatorSet parse(String output, int param, String src) throws NodeException {
        String head = "ConfigParam(" + param + ")";
        int at = output.indexOf(head);
        if (at < 0) {
            throw NodeException.badOutput(src + ": no " + head + " in the lite client's answer");
        }
        String body = output.substring(at + head.length());
        Matcher s = SINCE.matcher(body);
        if (!s.find()) {
            if (body.replaceAll("\\s", "").startsWith("=(null)")) {
                return new TonValidatorSet(-1, -1, Set.of());
            }
            throw NodeException.badOutput(src + ": " + head + " has no utime_since");
        }
        Matcher u = UNTIL.matcher(body);
        if (!u.find()) {
            throw NodeException.badOutput(src + ": " + head + " has no utime_until");
        }
        Set<String> adnl = new LinkedHashSet<>();
        Matcher a = ADNL.matcher(body);
        while (a.find()) {
            adnl.add(a.group(1).toUpperCase(Locale.ROOT));
        }
        if (adnl.isEmpty()) {
            throw NodeException.badOutput(src + ": " + head + " lists no adnl_addr");
        }
        return new TonValidatorSet(Long.parseLong(s.group(1)), Long.parseLong(u.group(1)), adnl);
    }
}
