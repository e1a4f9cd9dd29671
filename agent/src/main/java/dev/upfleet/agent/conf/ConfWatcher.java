package dev.upfleet.agent.conf;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches the configuration directories (inotify underneath) and asks for a rescan when anything changes. Changes are
 * level-triggered: a burst of events yields one rescan, which diffs the files against what is loaded.
 */
public final class ConfWatcher implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ConfWatcher.class);
    private static final long DEBOUNCE_MS = 20;

    private final List<Path> dirs;
    private final Runnable rescan;
    private final WatchService watch;
    private final Thread thread;

    public ConfWatcher(List<Path> dirs, Runnable rescan) throws IOException {
        this.dirs = List.copyOf(dirs);
        this.rescan = rescan;
        this.watch = FileSystems.getDefault().newWatchService();
        for (Path dir : dirs) {
            register(dir);
        }
        this.thread = Thread.ofPlatform().daemon().name("upfleet-confwatch").unstarted(this::run);
    }

    public void start() {
        thread.start();
    }

    private void register(Path dir) {
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (Stream<Path> tree = Files.walk(dir)) {
            for (Path d : tree.filter(Files::isDirectory).toList()) {
                d.register(watch, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_DELETE,
                        StandardWatchEventKinds.ENTRY_MODIFY);
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("cannot watch {}: {}", dir, e.getMessage());
        }
    }

    private void run() {
        try {
            while (true) {
                WatchKey key = watch.take();
                drain(key);
                // Let an editor's burst of writes settle, then take everything that came meanwhile.
                WatchKey more;
                while ((more = watch.poll(DEBOUNCE_MS, TimeUnit.MILLISECONDS)) != null) {
                    drain(more);
                }
                for (Path dir : dirs) {
                    register(dir); // new sub-directories
                }
                rescan.run();
            }
        } catch (InterruptedException | ClosedWatchServiceException e) {
            // closing
        }
    }

    private static void drain(WatchKey key) {
        key.pollEvents();
        key.reset();
    }

    @Override
    public void close() throws IOException {
        watch.close();
        thread.interrupt();
    }
}
