package dev.understudy.node;

import java.util.List;

/** The signing keys a node holds for one validation period (period ids as the chain numbers them). */
public record PeriodKeys(long period, List<String> keyIds) {
    public PeriodKeys {
        keyIds = List.copyOf(keyIds);
    }
}
