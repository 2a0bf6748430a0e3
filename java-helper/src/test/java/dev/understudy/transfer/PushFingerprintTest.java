package dev.understudy.transfer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.understudy.node.KeyFile;
import dev.understudy.node.KeySet;
import dev.understudy.node.PeriodKeys;
import java.util.List;
import org.junit.jupiter.api.Test;

/** When a push counts as delivered already: the same key set from the same adapter, nothing else. */
class PushFingerprintTest {
    static final KeySet KEYS = new KeySet(List.of(new KeyFile("keyring/AB", 0600, new byte[] {1, 2, 3})),
            List.of(new PeriodKeys(7, List.of("AB"))));

    @Test
    void aHostSwitchedToAnotherAdapterPushesAgain() {
        assertEquals(Push.fingerprint("simnet", KEYS), Push.fingerprint("simnet", new KeySet(KEYS.files(), KEYS.periods())));
        assertNotEquals(Push.fingerprint("simnet", KEYS), Push.fingerprint("command", KEYS),
                "the same keys in another adapter's layout are another bundle");
        assertNotEquals(Push.fingerprint("simnet", KEYS), Push.fingerprint("simnet",
                new KeySet(List.of(new KeyFile("keyring/AB", 0600, new byte[] {1, 2, 4})), KEYS.periods())));
    }
}
