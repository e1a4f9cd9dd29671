package dev.upfleet.agent.process;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

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
 * <p>Early boot, as in Upstart: while a log file cannot be opened (its directory cannot be created or written: not
 * mounted yet, read-only, a file in its place, no permission) the output is held in memory, and written, oldest
 * first, as soon as a later output, the end of the stream or {@link #notifyDiskWriteable} finds the file openable. A
 * stream that ends with output still held keeps it until {@link #notifyDiskWriteable} (Upstart keeps it only for
 * EROFS, EPERM and EACCES; the agent creates the directory itself, so every such failure means "not yet"). After a
 * notify that wrote everything, logs that end unwritable are dropped, as in Upstart. Unlike Upstart the memory is
 * bounded: at most {@code heldPerLog} bytes per stream and {@code heldTotal} bytes in all; output past a bound is
 * dropped and, when the rest is written, a line saying how many bytes were lost follows it. A disk that is full
 * (ENOSPC, EDQUOT) is not "not yet": that output is dropped, and a write that fails makes the stream console none.
 * Held output is lost when the agent stops.
 *
 * <p>{@link #register}, {@link #notifyDiskWriteable} and {@link #heldBytes} are thread-safe; everything else runs on
 * the pump thread.
 */
final class LogPump implements AutoCloseable {
    private static final int BUFFER = 64 * 1024;
    private static final int MAX_EVENTS = 256;

    private final int epfd;
    private final int[] wake;
    private final int maxOpenFiles;
    private final Map<Integer, Sink> sinks = new ConcurrentHashMap<>();
    private final AtomicInteger open = new AtomicInteger();
    private final int heldPerLog;
    private final long heldTotal;
    private final AtomicLong held = new AtomicLong();
    private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    /** Pump-thread only: ended streams whose output is still held, in the order they ended. */
    private final List<Sink> ended = new ArrayList<>();
    /** Pump-thread only: a notify wrote every held log (Upstart's log_flushed). */
    private boolean flushed;
    private final Thread thread;
    private volatile boolean closing;

    /** Pump-thread only: open log channels in least-recently-written order. */
    private final LinkedHashMap<Sink, Boolean> lru = new LinkedHashMap<>(16, 0.75f, true);

    private static final class Sink {
        final int fd;
        final Path path;
        FileChannel channel;
        boolean broken;
        /** Output read while the file could not be opened, oldest first; null when none. */
        ByteArrayOutputStream unflushed;
        long dropped;

        Sink(int fd, Path path) {
            this.fd = fd;
            this.path = path;
        }
    }

    static final int HELD_PER_LOG = 1 << 20;
    static final long HELD_TOTAL = 16L << 20;

    LogPump(int maxOpenFiles) throws LibcException {
        this(maxOpenFiles, HELD_PER_LOG, HELD_TOTAL);
    }

    LogPump(int maxOpenFiles, int heldPerLog, long heldTotal) throws LibcException {
        this.maxOpenFiles = maxOpenFiles;
        this.heldPerLog = heldPerLog;
        this.heldTotal = heldTotal;
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

    /** Bytes of output held in memory because their log file could not be opened yet. */
    long heldBytes() {
        return held.get();
    }

    /**
     * {@code initctl notify-disk-writeable}: writes the held output of every log, ended streams first in the order
     * they ended. Completes exceptionally with the first log that still cannot be opened (the rest stay held).
     */
    CompletableFuture<Void> notifyDiskWriteable() {
        CompletableFuture<Void> done = new CompletableFuture<>();
        tasks.add(() -> {
            try {
                for (Iterator<Sink> it = ended.iterator(); it.hasNext(); ) {
                    Sink sink = it.next();
                    writeHeld(sink);
                    closeChannel(sink);
                    it.remove();
                }
                for (Sink sink : sinks.values()) {
                    if (sink.unflushed != null && !sink.broken) {
                        writeHeld(sink);
                    }
                }
                flushed = true;
                done.complete(null);
            } catch (IOException e) {
                done.completeExceptionally(new IOException(reason(e), e));
            }
        });
        wake();
        if (closing) {
            done.completeExceptionally(new IOException("log pump closed"));
        }
        return done;
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
                    } else {
                        drainWake(buffer);
                    }
                }
                for (Runnable task; (task = tasks.poll()) != null; ) {
                    task.run();
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
        if (sink.channel != null && !Files.exists(sink.path)) {
            closeChannel(sink); // deleted under us: start a new file, as Upstart does
        }
        if (sink.channel == null) {
            try {
                openChannel(sink);
            } catch (IOException e) {
                if (!diskFull(e)) {
                    hold(sink, data); // not writable yet
                }
                return;
            }
        }
        lru.put(sink, Boolean.TRUE);
        try {
            writeHeld(sink);
            while (data.hasRemaining()) {
                sink.channel.write(data);
            }
        } catch (IOException e) {
            // Upstart treats a job whose log cannot be written as console none: keep draining, drop the bytes.
            sink.broken = true;
            release(sink);
            closeChannel(sink);
        }
    }

    /** Keeps output for later, within the bounds; what does not fit is counted and dropped. */
    private void hold(Sink sink, ByteBuffer data) {
        int size = sink.unflushed == null ? 0 : sink.unflushed.size();
        long room = Math.max(0, Math.min(heldPerLog - size, heldTotal - held.get()));
        int keep = (int) Math.min(room, data.remaining());
        if (keep > 0) {
            if (sink.unflushed == null) {
                sink.unflushed = new ByteArrayOutputStream(Math.min(keep, 4096));
            }
            byte[] bytes = new byte[keep];
            data.get(bytes);
            sink.unflushed.writeBytes(bytes);
            held.addAndGet(keep);
        }
        sink.dropped += data.remaining();
        data.position(data.limit());
    }

    /** Writes held output (and how much was dropped) to the open or openable file, then forgets it. */
    private void writeHeld(Sink sink) throws IOException {
        if (sink.unflushed == null) {
            return;
        }
        if (sink.channel == null) {
            openChannel(sink);
        }
        ByteBuffer data = ByteBuffer.wrap(sink.unflushed.toByteArray());
        while (data.hasRemaining()) {
            sink.channel.write(data);
        }
        if (sink.dropped > 0) {
            ByteBuffer note = ByteBuffer.wrap(("[" + sink.dropped + " bytes of output dropped: the log directory was"
                    + " not writable]\r\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
            while (note.hasRemaining()) {
                sink.channel.write(note);
            }
        }
        release(sink);
    }

    private void release(Sink sink) {
        if (sink.unflushed != null) {
            held.addAndGet(-sink.unflushed.size());
            sink.unflushed = null;
        }
        sink.dropped = 0;
    }

    private static boolean diskFull(IOException e) {
        return e instanceof FileSystemException f && f.getReason() != null
                && (f.getReason().equals("No space left on device") || f.getReason().equals("Disk quota exceeded"));
    }

    /** The errno text of a failed open, as Upstart's reply to notify-disk-writeable carries it. */
    static String reason(IOException e) {
        return switch (e) {
            case AccessDeniedException a -> "Permission denied";
            case NoSuchFileException n -> "No such file or directory";
            case FileAlreadyExistsException f -> "Not a directory"; // a file where the log directory should be
            case NotDirectoryException n -> "Not a directory";
            case FileSystemException f when f.getReason() != null -> f.getReason();
            default -> e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        };
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
        lru.put(sink, Boolean.TRUE);
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
        if (sink.unflushed != null) {
            try {
                writeHeld(sink); // the directory may have become writable since the last output
            } catch (IOException e) {
                if (flushed) {
                    release(sink); // after a notify, as Upstart: nothing waits for another one
                } else {
                    ended.add(sink);
                }
            }
        }
        closeChannel(sink);
        Libc.closeQuietly(sink.fd);
        open.decrementAndGet();
    }

    private void drainWake(MemorySegment buffer) {
        try {
            while (Libc.read(wake[0], buffer) > 0) {
                // empty the pipe: epoll reports it for as long as it holds a byte
            }
        } catch (LibcException e) {
            // EAGAIN: empty
        }
    }

    private void wake() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment one = arena.allocate(1);
            Libc.write(wake[1], one, 1);
        } catch (LibcException ignored) {
            // the pipe is full: the thread is awake already
        }
    }

    @Override
    public void close() {
        closing = true;
        wake();
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
        for (Runnable task; (task = tasks.poll()) != null; ) {
            task.run(); // a notify that raced the close: one last attempt, then its reply
        }
        ended.clear();
        Libc.closeQuietly(epfd);
        Libc.closeQuietly(wake[0]);
        Libc.closeQuietly(wake[1]);
    }
}
