package dev.understudy.simnet.chain;

import com.fasterxml.jackson.databind.JsonNode;
import dev.understudy.simnet.BadInputException;
import dev.understudy.simnet.Json;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The chain's append-only record: one JSON object per line in {@code records.jsonl}. Every append is
 * fsync'd before the caller acknowledges it. Reading never skips a line: a line that is not a JSON object,
 * or a file that does not end in a newline, is reported with its line number and the chain refuses to start.
 */
public final class RecordLog implements Closeable {
    public static final String FILE = "records.jsonl";

    private final Path file;
    private final FileChannel channel;
    private long lines;

    private RecordLog(Path file, FileChannel channel, long lines) {
        this.file = file;
        this.channel = channel;
        this.lines = lines;
    }

    /** Reads every record in DIR/records.jsonl (creating the file if absent) and opens it for appending. */
    public static RecordLog open(Path dir, List<JsonNode> recordsOut) throws IOException, BadInputException {
        Path file = dir.resolve(FILE);
        if (!Files.exists(file)) {
            Files.createFile(file);
        }
        recordsOut.addAll(read(file));
        FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        return new RecordLog(file, ch, recordsOut.size());
    }

    static List<JsonNode> read(Path file) throws IOException, BadInputException {
        byte[] all = Files.readAllBytes(file);
        List<JsonNode> out = new ArrayList<>();
        int start = 0;
        int lineNo = 0;
        while (start < all.length) {
            lineNo++;
            int end = start;
            while (end < all.length && all[end] != '\n') {
                end++;
            }
            String source = file + " line " + lineNo;
            if (end == all.length) {
                throw new BadInputException(source + ": record is truncated (no newline at the end of the file);"
                        + " the chain will not start on a damaged record, move the file aside or repair that line");
            }
            byte[] line = java.util.Arrays.copyOfRange(all, start, end);
            JsonNode n = Json.parse(line, source);
            if (!n.isObject() || !n.hasNonNull("t")) {
                throw new BadInputException(source + ": expected a record object with field 't', got "
                        + new String(line, StandardCharsets.UTF_8));
            }
            out.add(n);
            start = end + 1;
        }
        return out;
    }

    /** Appends the records and fsyncs them; when this returns they survive a crash. */
    public synchronized void append(List<? extends JsonNode> records) throws IOException {
        if (records.isEmpty()) {
            return;
        }
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        for (JsonNode r : records) {
            buf.write(Json.bytes(r));
            buf.write('\n');
        }
        ByteBuffer bb = ByteBuffer.wrap(buf.toByteArray());
        while (bb.hasRemaining()) {
            channel.write(bb);
        }
        channel.force(false);
        lines += records.size();
    }

    public synchronized long lines() {
        return lines;
    }

    public Path file() {
        return file;
    }

    @Override
    public synchronized void close() throws IOException {
        channel.close();
    }
}
