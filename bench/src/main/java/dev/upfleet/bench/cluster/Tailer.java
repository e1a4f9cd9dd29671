package dev.upfleet.bench.cluster;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.locks.LockSupport;
import java.util.function.ObjLongConsumer;

/**
 * Follows an agent's --event-log file: each complete new line goes to the consumer with the nanoTime it was seen.
 * Polls every 200 us (both ends of a measurement are seen by the same kind of tailer, so the bias is the same).
 */
final class Tailer implements AutoCloseable {
    private final Thread thread;
    private volatile boolean closed;

    Tailer(Path file, ObjLongConsumer<String> consumer) {
        thread = Thread.ofPlatform().daemon().name("tail " + file.getFileName()).start(() -> {
            try {
                while (!closed && !Files.exists(file)) {
                    Thread.sleep(5);
                }
                try (RandomAccessFile in = new RandomAccessFile(file.toFile(), "r")) {
                    byte[] buf = new byte[64 * 1024];
                    StringBuilder partial = new StringBuilder();
                    while (!closed) {
                        int n = in.read(buf);
                        if (n <= 0) {
                            LockSupport.parkNanos(200_000);
                            continue;
                        }
                        long now = System.nanoTime();
                        partial.append(new String(buf, 0, n, StandardCharsets.UTF_8));
                        int nl;
                        while ((nl = partial.indexOf("\n")) >= 0) {
                            consumer.accept(partial.substring(0, nl), now);
                            partial.delete(0, nl + 1);
                        }
                    }
                }
            } catch (IOException | InterruptedException e) {
                if (!closed) {
                    System.err.println("tailer " + file + ": " + e);
                }
            }
        });
    }

    @Override
    public void close() {
        closed = true;
    }
}
