package dev.understudy.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.understudy.cli.BadInputException;
import dev.understudy.common.Json;
import dev.understudy.config.Section;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The election_files setting of the ton and everscale adapters (their tests drive push and install). */
class ElectionFilesTest {
    @TempDir
    Path dir;

    @Test
    void electionFilesAreAbsoluteWithDistinctNames() throws Exception {
        Path wallets = Files.createDirectories(dir.resolve("wallets"));
        Files.writeString(wallets.resolve("w.pk"), "k");
        Files.writeString(wallets.resolve("w.addr"), "a");
        List<KeyFile> read = ElectionFiles.fromConfig(section("ton", List.of(wallets.resolve("w.pk").toString(),
                wallets.resolve("w.addr").toString()))).read();
        assertEquals(List.of("election/w.pk", "election/w.addr"), read.stream().map(KeyFile::path).toList());
        for (List<String> bad : List.of(List.of("wallets/w.pk"), List.of("/home/v/../w.pk"), List.of("/a/w.pk", "/b/w.pk"))) {
            BadInputException e = assertThrows(BadInputException.class, () -> ElectionFiles.fromConfig(section("everscale", bad)),
                    bad.toString());
            assertTrue(e.getMessage().startsWith("understudy.yml: node.everscale.election_files: "), e.getMessage());
        }
        Files.delete(wallets.resolve("w.addr"));
        NodeException gone = assertThrows(NodeException.class, () -> ElectionFiles.fromConfig(section("ton",
                List.of(wallets.resolve("w.addr").toString()))).read());
        assertTrue(gone.getMessage().startsWith("node.ton.election_files names " + wallets.resolve("w.addr")), gone.getMessage());
    }

    private static Section section(String adapter, List<String> files) throws BadInputException {
        return Section.root("understudy.yml", Json.MAPPER.valueToTree(Map.of("node", Map.of(adapter, Map.of("election_files", files)))))
                .section("node").section(adapter);
    }
}
