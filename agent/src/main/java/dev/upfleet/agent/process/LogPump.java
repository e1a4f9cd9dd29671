package dev.upfleet.agent.process;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Copies job output from pty masters (or pipes) into log files, for every job, on ONE epoll thread: 10,000 logged jobs
 * cost 10,000 descriptors and no threads.
 *
 * <p>A log file is created (mode 0640, appended to) on the first byte of output only, re-opened if it was deleted,
 * and closed when the job's output side reaches end of file. A pty master reports the end as EIO (and EPOLLHUP)
 * once every slave descriptor is closed, a pipe as a 0-byte read; both end the stream. To bound descriptors, at most
 * {@code maxOpenFiles} log files stay open; the least recently written is closed and re-opened on its next output.
 * Descriptors are blocking and read once per readiness report, so a read never waits.
 *
 * <p>{@link #register} is thread-safe; everything else runs on the pump thread.
 */
final class LogPump implements AutoCloseable {
    private static final int BUFFER = 64 * 1024;
    private static final int MAX_EVENTS = 256;

    private final int epfd;
    private final int[] wake;
    private final int maxOpenFiles;
    private final Map<Integer, Sink> sinks = new ConcurrentHashMap<>();
    private final AtomicInteger open = new AtomicInteger();
    private final Thread thread;
    private volatile boolean closing;

    /** Pump-thread only: open log channels in least-recently-written order. */
    private final LinkedHashMap<Sink, Boolean> lru = new LinkedHashMap<>(16, 0.75f, true);

    private static final class Sink {
        final int fd;
        final Path path;
        FileChannel channel;
        boolean broken;

        Sink(int fd, Path path) {
            this.fd = fd;
            this.path = path;
        }
    }

    LogPump(int maxOpenFiles) throws LibcException {
        this.maxOpenFiles = maxOpenFiles;
        this.epfd = Libc.epollCreate1(Libc.O_CLOEXEC);
        this.wake = Libc.pipe2(Libc.O_CLOEXEC | Libc.O_NONBLOCK);
        Libc.epollCtl(epfd, Libc.EPOLL_CTL_ADD, wake[0], Libc.EPOLLIN);
        this.thread = Thread.ofPlatform().name("upfleet-log-pump").daemon().start(this::run);
    }

    /** Takes ownership of {@code fd}: everything read from it is appended to {@code logFile}. */
    void register(int fd, Path logFile) throws LibcException {
        sinks.put(fd, new Sink(fd, logFile));
        open.incrementAndGet();
        try {
            Libc.epollCtl(epfd, Libc.EPOLL_CTL_ADD, fd, Libc.EPOLLIN);
        } catch (LibcException e) {
            sinks.remove(fd);
            open.decrementAndGet();
            throw e;
        }
    }

    /** Output streams still open (for tests and metrics). */
    int streams() {
        return open.get();
    }

    private void run() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment events = arena.allocate(Libc.EPOLL_EVENT_SIZE * MAX_EVENTS, 8);
            MemorySegment buffer = arena.allocate(BUFFER, 8);
            while (!closing) {
                int n = Libc.epollWait(epfd, events, -1);
                for (int i = 0; i < n; i++) {
                    int fd = Libc.epollEventFd(events, i);
                    if (fd != wake[0]) {
                        pump(fd, buffer);
                    }
                }
            }
        } catch (LibcException e) {
            // epoll itself failed: nothing sensible is left to do on this thread.
            System.err.println("upfleet-log-pump: " + e.getMessage());
        }
    }

    private void pump(int fd, MemorySegment buffer) {
        Sink sink = sinks.get(fd);
        if (sink == null) {
            return;
        }
        long n;
        try {
            n = Libc.read(fd, buffer);
        } catch (LibcException e) {
            if (e.errno() == Libc.EINTR || e.errno() == Libc.EAGAIN) {
                return;
            }
            n = 0; // EIO from a pty master: the slave side is closed everywhere.
        }
        if (n == 0) {
            finish(sink);
            return;
        }
        append(sink, buffer.asSlice(0, n).asByteBuffer());
    }

    private void append(Sink sink, ByteBuffer data) {
        if (sink.broken) {
            return;
        }
        try {
            if (sink.channel != null && !Files.exists(sink.path)) {
                closeChannel(sink); // deleted under us: start a new file, as Upstart does
            }
            if (sink.channel == null) {
                openChannel(sink);
            }
            lru.put(sink, Boolean.TRUE);
            while (data.hasRemaining()) {
                sink.channel.write(data);
            }
        } catch (IOException e) {
            // Upstart treats a job whose log cannot be written as console none: keep draining, drop the bytes.
            sink.broken = true;
            closeChannel(sink);
        }
    }

    private void openChannel(Sink sink) throws IOException {
        if (lru.size() >= maxOpenFiles) {
            Iterator<Sink> oldest = lru.keySet().iterator();
            Sink victim = oldest.next();
            oldest.remove();
            closeChannel(victim);
        }
        Files.createDirectories(sink.path.getParent());
        sink.channel = FileChannel.open(sink.path,
                java.util.Set.of(StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-r-----")));
    }

    private void closeChannel(Sink sink) {
        lru.remove(sink);
        if (sink.channel != null) {
            try {
                sink.channel.close();
            } catch (IOException ignored) {
                // nothing buffered in a FileChannel; a failed close loses nothing
            }
            sink.channel = null;
        }
    }

    private void finish(Sink sink) {
        sinks.remove(sink.fd);
        try {
            Libc.epollCtl(epfd, Libc.EPOLL_CTL_DEL, sink.fd, 0);
        } catch (LibcException ignored) {
            // closing the fd removes it from the epoll set anyway
        }
        closeChannel(sink);
        Libc.closeQuietly(sink.fd);
        open.decrementAndGet();
    }

    @Override
    public void close() {
        closing = true;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment one = arena.allocate(1);
            Libc.write(wake[1], one, 1);
        } catch (LibcException ignored) {
            // the pipe is full: the thread is awake already
        }
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Sink sink : sinks.values()) {
            closeChannel(sink);
            Libc.closeQuietly(sink.fd);
        }
        sinks.clear();
        Libc.closeQuietly(epfd);
        Libc.closeQuietly(wake[0]);
        Libc.closeQuietly(wake[1]);
    }
}
