package dev.understudy.testing;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/** Recorded or documented-format outputs under src/test/resources, by resource path. */
public final class Fixtures {
    private Fixtures() {
    }

    public static byte[] bytes(String resource) throws IOException {
        try (InputStream in = Fixtures.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IOException("fixture missing: " + resource);
            }
            return in.readAllBytes();
        }
    }

    public static String text(String resource) throws IOException {
        return new String(bytes(resource), StandardCharsets.UTF_8);
    }
}
