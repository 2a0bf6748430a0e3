package dev.understudy.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MainTest {
    record Run(int code, String out, String err) {
    }

    static Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(args, new Io(new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), Map.of()));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void versionPrintsTheBuiltVersion() {
        Run r = run("--version");
        assertEquals(0, r.code());
        assertTrue(r.out().matches("understudy \\d+\\.\\d+\\.\\d+.*\\s*"), r.out());
    }

    @Test
    void helpListsCommandsAndExitCodes() {
        Run r = run("--help");
        assertEquals(0, r.code());
        assertTrue(r.out().contains("exit codes"), r.out());
    }

    @Test
    void noArgumentsAndUnknownCommandsAreUsageErrors() {
        assertEquals(Exit.USAGE, run().code());
        Run r = run("frobnicate");
        assertEquals(Exit.USAGE, r.code());
        assertTrue(r.err().contains("unknown command 'frobnicate'"), r.err());
    }

    @Test
    void selfTestSealsOpensAndRefusesATamperedBundle() {
        Run r = run("self-test");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("self-test ok"), r.out());
    }
}
