package dev.understudy.bundle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.understudy.node.KeyFile;
import dev.understudy.node.PeriodKeys;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The manifest inside a bundle, as a signed but careless (or compromised) peer could write it. */
class ManifestTest {
    static final List<KeyFile> FILES = List.of(new KeyFile("config.json", 0600, "{}".getBytes(StandardCharsets.UTF_8)));

    ObjectNode good() {
        return new Manifest("val1", "lab-main", 3, 7, "2026-11-21T00:00:00Z", "simnet",
                List.of(new PeriodKeys(5, List.of("AB"))), Manifest.describe(FILES)).json();
    }

    Rejection refused(ObjectNode n) {
        return assertThrows(Rejection.class, () -> Manifest.parse(n, "m"));
    }

    @Test
    void theGoodManifestParses() throws Exception {
        Manifest m = Manifest.parse(good(), "m");
        assertEquals(List.of(new PeriodKeys(5, List.of("AB"))), m.periods());
        assertEquals(0600, m.files().get(0).mode());
    }

    @Test
    void aPeriodWithoutKeysIsRefusedRatherThanCountedAsCovered() {
        ObjectNode n = good();
        ((ObjectNode) n.get("periods").get(0)).putArray("keyIds");
        Rejection r = refused(n);
        assertEquals(Rejection.Reason.MALFORMED, r.reason());
        assertTrue(r.getMessage().contains("'keyIds' is empty"), r.getMessage());
    }

    @Test
    void aPathOutOfTheBundleIsRefusedWithoutQuotingIt() {
        for (String bad : List.of("../../etc/cron.d/x", "/etc/shadow", "a/./b", "")) {
            ObjectNode n = good();
            ((ObjectNode) n.get("files").get(0)).put("path", bad);
            Rejection r = refused(n);
            assertEquals(Rejection.Reason.MALFORMED, r.reason(), bad);
            assertTrue(r.getMessage().contains("unsafe") && (bad.isEmpty() || !r.getMessage().contains(bad)), r.getMessage());
        }
    }

    @Test
    void aModeMustBeUpToFourOctalDigits() {
        for (String bad : List.of("-1", "0x600", "77777", "", "0.6")) {
            ObjectNode n = good();
            ((ObjectNode) n.get("files").get(0)).put("mode", bad);
            Rejection r = refused(n);
            assertTrue(r.getMessage().contains("not an octal number of up to 4 digits"), bad + ": " + r.getMessage());
        }
    }
}
