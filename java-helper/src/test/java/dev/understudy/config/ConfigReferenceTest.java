package dev.understudy.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.understudy.node.NodeAdapters;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The configuration reference cannot drift from the code: the documented understudy.yml examples
 * (docs/configuration.md, and each adapter's section in docs/adapters.md) must pass the real parser, and every
 * setting the parser asks for must appear in one of them.
 */
final class ConfigReferenceTest {
    private static final Path DOCS = Path.of("..", "docs");
    private static final YAMLMapper YAML = new YAMLMapper();

    @Test
    void everyDocumentedSettingParsesAndEverySettingTheCodeKnowsIsDocumented() throws Exception {
        String reference = Files.readString(DOCS.resolve("configuration.md"), StandardCharsets.UTF_8);
        JsonNode full = YAML.readTree(firstYamlBlockAfter(reference, "## understudy.yml"));
        List<JsonNode> examples = new ArrayList<>();
        examples.add(full);
        // the node adapter reads its own section: build it, as `understudy config check` does
        NodeAdapters.create(Config.parse(YAML.writeValueAsBytes(full), Path.of("docs/configuration.md (understudy.yml example)")));

        // every adapter's documented node: section, in place of the full example's
        String adapters = Files.readString(DOCS.resolve("adapters.md"), StandardCharsets.UTF_8);
        List<String> nodeBlocks = yamlBlocksWith(adapters, "node:");
        assertTrue(nodeBlocks.size() >= 1, "docs/adapters.md documents at least one adapter's node: section");
        for (String block : nodeBlocks) {
            ObjectNode variant = full.deepCopy();
            variant.set("node", YAML.readTree(block).get("node"));
            NodeAdapters.create(Config.parse(YAML.writeValueAsBytes(variant),
                    Path.of("docs/adapters.md (" + variant.get("node").get("adapter").asText() + " example)")));
            examples.add(variant);
        }

        Set<String> undocumented = new TreeSet<>();
        for (String setting : Section.knownSettings()) {
            if (examples.stream().noneMatch(e -> present(e, setting.split("\\.")))) {
                undocumented.add(setting);
            }
        }
        assertEquals(Set.of(), undocumented,
                "settings the parser knows but no documented example shows (add them to docs/configuration.md or docs/adapters.md)");
    }

    @Test
    void aSettingTheCodeDoesNotKnowFailsTheCheck() throws Exception {
        String reference = Files.readString(DOCS.resolve("configuration.md"), StandardCharsets.UTF_8);
        ObjectNode full = (ObjectNode) YAML.readTree(firstYamlBlockAfter(reference, "## understudy.yml"));
        ((ObjectNode) full.get("sync")).put("keep_bundels", 3);
        Exception e = org.junit.jupiter.api.Assertions.assertThrows(Exception.class,
                () -> Config.parse(YAML.writeValueAsBytes(full), Path.of("example.yml")));
        assertTrue(e.getMessage().contains("sync.keep_bundels: unknown setting"), e.getMessage());
    }

    private static boolean present(JsonNode node, String[] path) {
        JsonNode at = node;
        for (int i = 0; i < path.length; i++) {
            if (at == null || !at.isObject()) {
                return false;
            }
            if (path[i].equals("*")) {
                String[] rest = java.util.Arrays.copyOfRange(path, i + 1, path.length);
                for (Iterator<JsonNode> it = at.elements(); it.hasNext(); ) {
                    if (present(it.next(), rest)) {
                        return true;
                    }
                }
                return false;
            }
            at = at.get(path[i]);
        }
        return at != null;
    }

    private static String firstYamlBlockAfter(String markdown, String heading) {
        int at = markdown.indexOf("\n" + heading + "\n");
        assertTrue(at >= 0, "heading " + heading);
        Matcher m = Pattern.compile("```yaml\\n(.*?)```", Pattern.DOTALL).matcher(markdown);
        assertTrue(m.find(at), "a yaml block after " + heading);
        return m.group(1);
    }

    private static List<String> yamlBlocksWith(String markdown, String start) {
        List<String> out = new ArrayList<>();
        Matcher m = Pattern.compile("```yaml\\n(.*?)```", Pattern.DOTALL).matcher(markdown);
        while (m.find()) {
            if (m.group(1).startsWith(start)) {
                out.add(m.group(1));
            }
        }
        return out;
    }
}
