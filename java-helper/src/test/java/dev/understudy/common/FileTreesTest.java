package dev.understudy.common;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** An agent that is not root still gives the node's files to the node's user when it holds CAP_CHOWN. */
class FileTreesTest {
    @Test
    void capChownIsReadFromTheEffectiveSet() {
        // the agent's unit: CAP_CHOWN CAP_DAC_OVERRIDE CAP_FOWNER CAP_KILL = bits 0, 1, 3, 5
        String agent = "Name:\tjava\nCapInh:\t0000000000000000\nCapPrm:\t000000000000002b\nCapEff:\t000000000000002b\n";
        assertTrue(FileTrees.hasEffectiveCapability(agent, 0));
        assertTrue(FileTrees.hasEffectiveCapability(agent, 5));
        assertFalse(FileTrees.hasEffectiveCapability(agent, 2));
        // permitted but not effective does not count; no line or a garbled one means no
        assertFalse(FileTrees.hasEffectiveCapability("CapPrm:\t0000000000000001\nCapEff:\t0000000000000000\n", 0));
        assertFalse(FileTrees.hasEffectiveCapability("Name:\tjava\n", 0));
        assertFalse(FileTrees.hasEffectiveCapability("CapEff:\tzz\n", 0));
        assertTrue(FileTrees.hasEffectiveCapability("CapEff:\t000001ffffffffff\n", 40));
    }
}
