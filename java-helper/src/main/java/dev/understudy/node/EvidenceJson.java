package dev.understudy.node;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The chain's view as an operator's program answers it (docs/adapters.md, "evidence"): the command adapter's
 * {@code evidence} operation, and the {@code evidence} command of the ton and everscale adapters, whose consoles
 * keep no per-round record of the key's votes.
 */
public final class EvidenceJson {
    private EvidenceJson() {
    }

    public static Evidence parse(ObjectNode e, int rounds, String src) throws NodeException {
        return new Evidence(Fields.bool(e, "signed_recently", src), Fields.integer(e, "last_vote_round", src),
                Fields.integer(e, "last_signed_round", src), Fields.integer(e, "chain_round", src), rounds,
                Fields.bool(e, "in_current_set", src), Fields.bool(e, "in_next_set", src), (int) Fields.integer(e, "recent_signers", src),
                Fields.integer(e, "recent_double_signs", src), Fields.integer(e, "total_double_signs", src), Fields.integer(e, "round_ms", src));
    }

    /** Runs {@code program} with the window ({@code {rounds}} in its argv) and parses its answer. */
    public static Evidence run(Program program, int rounds) throws NodeException {
        String out = program.output(java.util.List.of(), java.util.Map.of("rounds", Integer.toString(rounds)));
        return parse(Fields.object(out, program.source()), rounds, program.source());
    }
}
