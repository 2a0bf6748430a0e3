package dev.understudy.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.understudy.cli.BadInputException;
import dev.understudy.testing.Deployment;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A long-running process sees the file as it is now, and parses it only when it changed. */
class LiveConfigTest {
    @TempDir
    Path dir;

    @Test
    void parsedAgainOnlyWhenTheBytesChangeAndABrokenFileIsAnErrorUntilFixed() throws Exception {
        String good = new Deployment(dir).config("lab-main", "http://127.0.0.1:7701", dir.resolve("home"), "http://127.0.0.1:7700",
                2222);
        Path f = dir.resolve("u.yml");
        Files.writeString(f, good);
        LiveConfig live = new LiveConfig(f);
        Config first = live.current();
        assertSame(first, live.current(), "unchanged bytes: the same parse");
        Files.writeString(f, good.replace("  keep_bundles: 3", "  keep_bundles: 4"));
        Config second = live.current();
        assertNotSame(first, second);
        assertEquals(4, second.sync().keepBundles());
        Files.writeString(f, good.replace("validator: val1\n", ""));
        BadInputException e = assertThrows(BadInputException.class, live::current);
        assertTrue(e.getMessage().contains("validator: is required"), e.getMessage());
        assertThrows(BadInputException.class, live::current, "still broken: still an error, not the last good parse");
        Files.delete(f);
        assertTrue(assertThrows(BadInputException.class, live::current).getMessage().contains("does not exist"));
        Files.writeString(f, good);
        assertEquals(3, live.current().sync().keepBundles());
    }
}
