package dev.understudy.node.ton;

import dev.understudy.node.NodeException;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code lite-client -c "getconfig 34"} (current validator set) or {@code 36} (next): the set's
 * {@code utime_since} (the election id, which the validator's {@code addpermkey} start and config.json's
 * {@code election_date} equal), {@code utime_until}, its size ({@code total}), the ADNL addresses in it (upper-case
 * hex) and each one's validator public key (the key the chain's block creator statistics are kept under). A next
 * set that does not exist yet ({@code ConfigParam(36) = (null)}) has {@code since} −1.
 *
 * <p>The format is the lite client's TL-B dump of {@code ValidatorSet} (crypto/block/block.tlb: {@code validators_ext}
 * with {@code validator_addr public_key:(ed25519_pubkey pubkey:x…) weight:… adnl_addr:x…} leaves).
 */
public record TonValidatorSet(long since, long until, int total, Set<String> adnlAddrs, Map<String, String> pubkeyByAdnl) {
    private static final Pattern SINCE = Pattern.compile("utime_since:(\\d+)");
    private static final Pattern UNTIL = Pattern.compile("utime_until:(\\d+)");
    private static final Pattern TOTAL = Pattern.compile("\\btotal:(\\d+)");
    private static final Pattern ADNL = Pattern.compile("adnl_addr:x([0-9A-Fa-f]{64})");
    private static final Pattern MEMBER = Pattern.compile(
            "pubkey:x([0-9A-Fa-f]{64})\\)\\s+weight:\\d+\\s+adnl_addr:x([0-9A-Fa-f]{64})");

    public TonValidatorSet {
        adnlAddrs = Set.copyOf(adnlAddrs);
        pubkeyByAdnl = Map.copyOf(pubkeyByAdnl);
    }

    /** The public keys in this set of the given ADNL addresses (upper-case hex), in no particular order. */
    public Set<String> pubkeysOf(Set<String> adnlHex) {
        Set<String> out = new LinkedHashSet<>();
        for (String a : adnlHex) {
            String k = pubkeyByAdnl.get(a.toUpperCase(Locale.ROOT));
            if (k != null) {
                out.add(k);
            }
        }
        return out;
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
                return new TonValidatorSet(-1, -1, 0, Set.of(), Map.of());
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
        Map<String, String> keys = new LinkedHashMap<>();
        Matcher m = MEMBER.matcher(body);
        while (m.find()) {
            keys.put(m.group(2).toUpperCase(Locale.ROOT), m.group(1).toUpperCase(Locale.ROOT));
        }
        Matcher t = TOTAL.matcher(body);
        int total = t.find() ? Integer.parseInt(t.group(1)) : adnl.size();
        return new TonValidatorSet(Long.parseLong(s.group(1)), Long.parseLong(u.group(1)), total, adnl, keys);
    }
}
