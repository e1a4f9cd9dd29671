package dev.upfleet.agent.process;

import dev.upfleet.agent.engine.ProcessLauncher.ProcessObserver;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Watches processes that are NOT our children — job processes re-adopted after the agent was killed and restarted —
 * and reports their end through {@link ProcessObserver#lostTrack} (exactly once per watch; the exit status of a
 * non-child cannot be read). Uses a pidfd per process in one epoll set; on kernels without pidfd_open (before 5.3)
 * it falls back to polling {@code /proc} every {@code pollMillis}. The {@link ProcessIdentity} start time guards
 * against a pid that was reused before the watch began.
 *
 * <p>Threads: {@link #watch}/{@link #unwatch} from any thread; callbacks from the {@code upfleet-pid-watcher} thread.
 */
public final class PidWatcher implements AutoCloseable {
    private static final int MAX_EVENTS = 64;

    private final ProcessObserver observer;
    private final int epfd;
    private final int[] wake;
    private final long pollMillis;
    private final Map<Integer, ProcessIdentity> byFd = new ConcurrentHashMap<>();
    private final Map<Long, ProcessIdentity> polled = new ConcurrentHashMap<>();
    private final Map<Long, Integer> fdByPid = new ConcurrentHashMap<>();
    private final Thread thread;
    private volatile boolean closing;

    public PidWatcher(ProcessObserver observer) throws LibcException {
        this(observer, 200);
    }

    public PidWatcher(ProcessObserver observer, long pollMillis) throws LibcException {
        this.observer = observer;
        this.pollMillis = pollMillis;
        this.epfd = Libc.epollCreate1(Libc.O_CLOEXEC);
        this.wake = Libc.pipe2(Libc.O_CLOEXEC | Libc.O_NONBLOCK);
        Libc.epollCtl(epfd, Libc.EPOLL_CTL_ADD, wake[0], Libc.EPOLLIN);
        this.thread = Thread.ofPlatform().name("upfleet-pid-watcher").daemon().start(this::run);
    }

    /**
     * Starts watching. Returns false (and reports nothing) when that exact process is not running any more, so the
     * caller knows at once that the job's process is gone.
     */
    public boolean watch(ProcessIdentity identity) {
        int fd;
        try {
            fd = Libc.pidfdOpen(identity.pid());
        } catch (LibcException e) {
            if (e.errno() == Libc.ESRCH || !identity.isAlive()) {
                return false;
            }
            polled.put(identity.pid(), identity); // no pidfd support: poll
            return true;
        }
        if (!identity.isAlive()) { // the pid was reused before we opened it
            Libc.closeQuietly(fd);
            return false;
        }
        byFd.put(fd, identity);
        fdByPid.put(identity.pid(), fd);
        try {
            Libc.epollCtl(epfd, Libc.EPOLL_CTL_ADD, fd, Libc.EPOLLIN);
        } catch (LibcException e) {
            forget(fd);
            polled.put(identity.pid(), identity);
        }
        return true;
    }

    /** Stops watching without a report (the engine no longer cares, e.g. it killed the job and saw it go). */
    public void unwatch(long pid) {
        polled.remove(pid);
        Integer fd = fdByPid.get(pid);
        if (fd != null) {
            forget(fd);
        }
    }

    private boolean forget(int fd) {
        ProcessIdentity id = byFd.remove(fd);
        if (id == null) {
            return false;
        }
        fdByPid.remove(id.pid(), fd);
        try {
            Libc.epollCtl(epfd, Libc.EPOLL_CTL_DEL, fd, 0);
        } catch (LibcException ignored) {
            // close removes it too
        }
        Libc.closeQuietly(fd);
        return true;
    }

    private void run() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment events = arena.allocate(Libc.EPOLL_EVENT_SIZE * MAX_EVENTS, 8);
            while (!closing) {
                int n = Libc.epollWait(epfd, events, polled.isEmpty() ? -1 : (int) pollMillis);
                for (int i = 0; i < n; i++) {
                    int fd = Libc.epollEventFd(events, i);
                    if (fd == wake[0]) {
                        continue;
                    }
                    ProcessIdentity id = byFd.get(fd);
                    if (id != null && forget(fd)) {
                        observer.lostTrack(id.pid());
                    }
                }
                for (ProcessIdentity id : polled.values()) {
                    if (!id.isAlive() && polled.remove(id.pid(), id)) {
                        observer.lostTrack(id.pid());
                    }
                }
            }
        } catch (LibcException e) {
            System.err.println("upfleet-pid-watcher: " + e.getMessage());
        }
    }

    @Override
    public void close() {
        closing = true;
        try (Arena arena = Arena.ofConfined()) {
            Libc.write(wake[1], arena.allocate(1), 1);
        } catch (LibcException ignored) {
            // pipe full: the thread is awake
        }
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (int fd : byFd.keySet()) {
            forget(fd);
        }
        polled.clear();
        Libc.closeQuietly(epfd);
        Libc.closeQuietly(wake[0]);
        Libc.closeQuietly(wake[1]);
    }
}
