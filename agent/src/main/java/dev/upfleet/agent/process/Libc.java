package dev.upfleet.agent.process;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.util.List;
import java.util.Optional;

/**
 * The few glibc calls a process supervisor needs, through FFM (x86_64/aarch64 Linux, glibc).
 *
 * <p>Arena strategy: the method handles are static finals; every call that needs scratch memory (errno capture,
 * C strings, out-parameters) opens a confined arena for the duration of the call and closes it before returning, so
 * nothing accumulates per call. Long-lived buffers (read buffers, epoll event arrays) belong to the component that
 * owns them and are freed by its {@code close()}. Failing calls throw {@link LibcException} with the captured errno.
 *
 * <p>Thread-safe: no state beyond the handles.
 */
public final class Libc {
    public static final int O_RDONLY = 0;
    /** ioctl: open the peer (slave) of a pty master. */
    public static final long TIOCGPTPEER = 0x5441;
    public static final int O_WRONLY = 1;
    public static final int O_RDWR = 2;
    public static final int O_CREAT = 0100;
    public static final int O_NOCTTY = 0400;
    public static final int O_APPEND = 02000;
    public static final int O_NONBLOCK = 04000;
    public static final int O_CLOEXEC = 02000000;

    public static final int EPERM = 1;
    public static final int ENOENT = 2;
    public static final int ENOSYS = 38;
    public static final int ESRCH = 3;
    public static final int EINTR = 4;
    public static final int EIO = 5;
    public static final int ECHILD = 10;
    public static final int EAGAIN = 11;

    public static final int WNOHANG = 1;
    public static final int WUNTRACED = 2;

    public static final int EPOLLIN = 0x001;
    public static final int EPOLLERR = 0x008;
    public static final int EPOLLHUP = 0x010;
    public static final int EPOLLRDHUP = 0x2000;
    public static final int EPOLL_CTL_ADD = 1;
    public static final int EPOLL_CTL_DEL = 2;

    public static final int PR_SET_CHILD_SUBREAPER = 36;
    public static final int PR_GET_CHILD_SUBREAPER = 37;

    public static final short POSIX_SPAWN_SETPGROUP = 0x02;
    public static final short POSIX_SPAWN_SETSIGDEF = 0x04;
    public static final short POSIX_SPAWN_SETSIGMASK = 0x08;
    public static final short POSIX_SPAWN_SETSID = 0x80;

    public static final int RLIMIT_NOFILE = 7;
    public static final long RLIM_INFINITY = -1L;

    /** pidfd_open(2); the same number on every architecture using the generic syscall table and on x86_64. */
    private static final long SYS_PIDFD_OPEN = 434;

    /** packed {@code struct epoll_event} on x86_64: u32 events, u64 data (12 bytes). */
    public static final long EPOLL_EVENT_SIZE = 12;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LOOKUP = LINKER.defaultLookup();
    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final long ERRNO_OFFSET = CAPTURE.byteOffset(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option ERRNO = Linker.Option.captureCallState("errno");

    // glibc's opaque types, sized generously (x86_64: attr 336, file actions 80, sigset 128).
    private static final long SPAWNATTR_SIZE = 512;
    private static final long FILE_ACTIONS_SIZE = 256;
    private static final long SIGSET_SIZE = 128;

    private static final MethodHandle KILL = errnoFn("kill", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle GETPID = fn("getpid", FunctionDescriptor.of(JAVA_INT));
    private static final MethodHandle SETSID = errnoFn("setsid", FunctionDescriptor.of(JAVA_INT));
    private static final MethodHandle GETPGID = errnoFn("getpgid", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle PRCTL = errnoFn("prctl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG),
            Linker.Option.firstVariadicArg(1));
    private static final MethodHandle SYSCALL3 = errnoFn("syscall",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG), Linker.Option.firstVariadicArg(1));
    private static final MethodHandle WAITPID = errnoFn("waitpid",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle OPEN = errnoFn("open",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), Linker.Option.firstVariadicArg(2));
    private static final MethodHandle CLOSE = errnoFn("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle READ = errnoFn("read", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle WRITE = errnoFn("write",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle PIPE2 = errnoFn("pipe2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle POSIX_OPENPT = errnoFn("posix_openpt", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle GRANTPT = errnoFn("grantpt", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle UNLOCKPT = errnoFn("unlockpt", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle IOCTL_INT = errnoFn("ioctl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_INT), Linker.Option.firstVariadicArg(2));
    private static final MethodHandle PTSNAME_R = fn("ptsname_r",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle EPOLL_CREATE1 = errnoFn("epoll_create1", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle EPOLL_CTL = errnoFn("epoll_ctl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS));
    private static final MethodHandle EPOLL_WAIT = errnoFn("epoll_wait",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
    private static final MethodHandle GETRLIMIT = errnoFn("getrlimit", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
    private static final MethodHandle SETRLIMIT = errnoFn("setrlimit", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
    private static final MethodHandle PRLIMIT = errnoFn("prlimit",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle STRERROR = fn("strerror", FunctionDescriptor.of(ADDRESS, JAVA_INT));

    // posix_spawn and its helpers return the error number instead of setting errno.
    private static final MethodHandle POSIX_SPAWN = fn("posix_spawn",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
    private static final MethodHandle FA_INIT = fn("posix_spawn_file_actions_init", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle FA_DESTROY = fn("posix_spawn_file_actions_destroy",
            FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle FA_DUP2 = fn("posix_spawn_file_actions_adddup2",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
    private static final MethodHandle FA_OPEN = fn("posix_spawn_file_actions_addopen",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
    private static final MethodHandle FA_CLOSE = fn("posix_spawn_file_actions_addclose",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle FA_CLOSEFROM = fn("posix_spawn_file_actions_addclosefrom_np",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle FA_CHDIR = fn("posix_spawn_file_actions_addchdir_np",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle ATTR_INIT = fn("posix_spawnattr_init", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle ATTR_DESTROY = fn("posix_spawnattr_destroy", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle ATTR_SETFLAGS = fn("posix_spawnattr_setflags",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_SHORT));
    private static final MethodHandle ATTR_SETSIGMASK = fn("posix_spawnattr_setsigmask",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle ATTR_SETSIGDEFAULT = fn("posix_spawnattr_setsigdefault",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle SIGEMPTYSET = fn("sigemptyset", FunctionDescriptor.of(JAVA_INT, ADDRESS));

    private Libc() {}

    private static MethodHandle fn(String name, FunctionDescriptor fd, Linker.Option... options) {
        MemorySegment symbol = LOOKUP.find(name).orElseThrow(() -> new UnsatisfiedLinkError("libc: " + name));
        return LINKER.downcallHandle(symbol, fd, options);
    }

    private static MethodHandle errnoFn(String name, FunctionDescriptor fd, Linker.Option... options) {
        Linker.Option[] all = new Linker.Option[options.length + 1];
        all[0] = ERRNO;
        System.arraycopy(options, 0, all, 1, options.length);
        return fn(name, fd, all);
    }

    /** A native call taking the errno capture segment first; returns the C result widened to long. */
    @FunctionalInterface
    private interface Call {
        long invoke(MemorySegment callState, Arena scratch) throws Throwable;
    }

    private static long call(String name, Call call) throws LibcException {
        try (Arena scratch = Arena.ofConfined()) {
            MemorySegment state = scratch.allocate(CAPTURE);
            long result;
            try {
                result = call.invoke(state, scratch);
            } catch (RuntimeException | Error e) {
                throw e;
            } catch (Throwable t) {
                throw new IllegalStateException(name, t);
            }
            if (result == -1) {
                throw new LibcException(name, state.get(JAVA_INT, ERRNO_OFFSET));
            }
            return result;
        }
    }

    /** Calls {@code int f(void*)} without boxing (the spawn path makes several per spawn). */
    private static int ptr(MethodHandle handle, MemorySegment a) {
        try {
            return (int) handle.invokeExact(a);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private static int ptrPtr(MethodHandle handle, MemorySegment a, MemorySegment b) {
        try {
            return (int) handle.invokeExact(a, b);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    // ---- processes ------------------------------------------------------------------------------------------

    public static int getpid() {
        try {
            return (int) GETPID.invokeExact();
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    public static void kill(long pid, int signal) throws LibcException {
        call("kill", (cs, a) -> (int) KILL.invokeExact(cs, (int) pid, signal));
    }

    /** Whether a process (or, with a negative pid, a process group) exists: {@code kill(pid, 0)}, EPERM counts as alive. */
    public static boolean exists(long pid) {
        try {
            kill(pid, 0);
            return true;
        } catch (LibcException e) {
            return e.errno() == EPERM;
        }
    }

    public static int getpgid(long pid) throws LibcException {
        return (int) call("getpgid", (cs, a) -> (int) GETPGID.invokeExact(cs, (int) pid));
    }

    public static int setsid() throws LibcException {
        return (int) call("setsid", (cs, a) -> (int) SETSID.invokeExact(cs));
    }

    public static int prctl(int option, long arg2) throws LibcException {
        return (int) call("prctl", (cs, a) -> (int) PRCTL.invokeExact(cs, option, arg2, 0L, 0L, 0L));
    }

    /** pidfd_open(2): an fd that becomes readable when the process exits. */
    public static int pidfdOpen(long pid) throws LibcException {
        return (int) call("pidfd_open", (cs, a) -> (long) SYSCALL3.invokeExact(cs, SYS_PIDFD_OPEN, pid, 0L));
    }

    /** A waitpid result: pid 0 means nothing to report (WNOHANG). */
    public record WaitResult(int pid, int status) {
        public boolean exited() {
            return (status & 0x7f) == 0;
        }

        public int exitCode() {
            return (status >> 8) & 0xff;
        }

        public boolean signaled() {
            int low = status & 0x7f;
            return low != 0 && low != 0x7f;
        }

        public int termSignal() {
            return status & 0x7f;
        }

        public boolean stopped() {
            return (status & 0xff) == 0x7f;
        }

        public int stopSignal() {
            return (status >> 8) & 0xff;
        }
    }

    /** waitpid(2), retried on EINTR. */
    public static WaitResult waitpid(long pid, int options) throws LibcException {
        while (true) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment status = arena.allocate(JAVA_INT);
                int got = (int) call("waitpid", (cs, a) -> (int) WAITPID.invokeExact(cs, (int) pid, status, options));
                return new WaitResult(got, got == 0 ? 0 : status.get(JAVA_INT, 0));
            } catch (LibcException e) {
                if (e.errno() != EINTR) {
                    throw e;
                }
            }
        }
    }

    // ---- files ----------------------------------------------------------------------------------------------

    public static int open(String path, int flags, int mode) throws LibcException {
        return (int) call("open", (cs, a) -> (int) OPEN.invokeExact(cs, a.allocateFrom(path), flags, mode));
    }

    public static void close(int fd) throws LibcException {
        call("close", (cs, a) -> (int) CLOSE.invokeExact(cs, fd));
    }

    /** close(2) for cleanup paths where a failure has no remedy. */
    public static void closeQuietly(int fd) {
        if (fd >= 0) {
            try {
                close(fd);
            } catch (LibcException ignored) {
                // EBADF/EIO on close: the descriptor is released either way on Linux.
            }
        }
    }

    /** read(2) into {@code buffer}; returns the byte count, 0 at end of file. */
    public static long read(int fd, MemorySegment buffer) throws LibcException {
        return call("read", (cs, a) -> (long) READ.invokeExact(cs, fd, buffer, buffer.byteSize()));
    }

    public static long write(int fd, MemorySegment buffer, long length) throws LibcException {
        return call("write", (cs, a) -> (long) WRITE.invokeExact(cs, fd, buffer, length));
    }

    /** pipe2(2): {@code [read end, write end]}. */
    public static int[] pipe2(int flags) throws LibcException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment fds = arena.allocate(JAVA_INT, 2);
            call("pipe2", (cs, a) -> (int) PIPE2.invokeExact(cs, fds, flags));
            return new int[] {fds.getAtIndex(JAVA_INT, 0), fds.getAtIndex(JAVA_INT, 1)};
        }
    }

    // ---- pseudo-terminals -----------------------------------------------------------------------------------

    public static int posixOpenpt(int flags) throws LibcException {
        return (int) call("posix_openpt", (cs, a) -> (int) POSIX_OPENPT.invokeExact(cs, flags));
    }

    public static void grantpt(int fd) throws LibcException {
        call("grantpt", (cs, a) -> (int) GRANTPT.invokeExact(cs, fd));
    }

    /**
     * The slave side of a pty master, opened through the master ({@code ioctl(TIOCGPTPEER)}, Linux 4.13): no
     * ptsname and no path lookup of {@code /dev/pts/N}. Throws (EINVAL, ENOTTY) where the kernel lacks it.
     */
    public static int openPtyPeer(int master, int flags) throws LibcException {
        return (int) call("ioctl", (cs, a) -> (int) IOCTL_INT.invokeExact(cs, master, TIOCGPTPEER, flags));
    }

    public static void unlockpt(int fd) throws LibcException {
        call("unlockpt", (cs, a) -> (int) UNLOCKPT.invokeExact(cs, fd));
    }

    public static String ptsname(int fd) throws LibcException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(128);
            int err;
            try {
                err = (int) PTSNAME_R.invokeExact(fd, buf, 128L);
            } catch (Throwable t) {
                throw new IllegalStateException(t);
            }
            if (err != 0) {
                throw new LibcException("ptsname_r", err);
            }
            return buf.getString(0);
        }
    }

    // ---- epoll ----------------------------------------------------------------------------------------------

    public static int epollCreate1(int flags) throws LibcException {
        return (int) call("epoll_create1", (cs, a) -> (int) EPOLL_CREATE1.invokeExact(cs, flags));
    }

    /** epoll_ctl(2) with {@code data} = the fd itself, so the waiter learns which fd is ready. */
    public static void epollCtl(int epfd, int op, int fd, int events) throws LibcException {
        call("epoll_ctl", (cs, a) -> {
            MemorySegment ev = a.allocate(EPOLL_EVENT_SIZE, 4);
            ev.set(JAVA_INT, 0, events);
            ev.set(JAVA_LONG.withByteAlignment(1), 4, fd);
            return (int) EPOLL_CTL.invokeExact(cs, epfd, op, fd, ev);
        });
    }

    /** epoll_wait(2) into {@code events} (an array of packed epoll_event); EINTR reads as 0 ready. */
    public static int epollWait(int epfd, MemorySegment events, int timeoutMillis) throws LibcException {
        int max = (int) (events.byteSize() / EPOLL_EVENT_SIZE);
        try {
            return (int) call("epoll_wait", (cs, a) -> (int) EPOLL_WAIT.invokeExact(cs, epfd, events, max, timeoutMillis));
        } catch (LibcException e) {
            if (e.errno() == EINTR) {
                return 0;
            }
            throw e;
        }
    }

    public static int epollEventMask(MemorySegment events, int index) {
        return events.get(JAVA_INT, index * EPOLL_EVENT_SIZE);
    }

    public static int epollEventFd(MemorySegment events, int index) {
        return (int) events.get(JAVA_LONG.withByteAlignment(1), index * EPOLL_EVENT_SIZE + 4);
    }

    // ---- resource limits ------------------------------------------------------------------------------------

    /** {@code struct rlimit}; {@link #RLIM_INFINITY} (-1) for unlimited. */
    public record Rlimit(long soft, long hard) {}

    public static Rlimit getrlimit(int resource) throws LibcException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment rl = arena.allocate(JAVA_LONG, 2);
            call("getrlimit", (cs, a) -> (int) GETRLIMIT.invokeExact(cs, resource, rl));
            return new Rlimit(rl.getAtIndex(JAVA_LONG, 0), rl.getAtIndex(JAVA_LONG, 1));
        }
    }

    public static void setrlimit(int resource, Rlimit limit) throws LibcException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment rl = arena.allocate(JAVA_LONG, 2);
            rl.setAtIndex(JAVA_LONG, 0, limit.soft());
            rl.setAtIndex(JAVA_LONG, 1, limit.hard());
            call("setrlimit", (cs, a) -> (int) SETRLIMIT.invokeExact(cs, resource, rl));
        }
    }

    /** prlimit(2) reading another process's limit. */
    public static Rlimit prlimit(long pid, int resource) throws LibcException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment old = arena.allocate(JAVA_LONG, 2);
            call("prlimit", (cs, a) -> (int) PRLIMIT.invokeExact(cs, (int) pid, resource, MemorySegment.NULL, old));
            return new Rlimit(old.getAtIndex(JAVA_LONG, 0), old.getAtIndex(JAVA_LONG, 1));
        }
    }

    /**
     * strerror(3), read once per errno. Error paths call this, and the JIT inlines a method this small into every
     * caller: reading the C string inlines some 400 methods of the FFM API, and with four error paths in the launcher's
     * spawn that one compilation took 15 MB of compiler memory, which the JVM keeps pooled for seconds. The cache
     * makes this method too large to inline, so the read is compiled once, here, if ever.
     */
    public static String strerror(int errno) {
        if (errno <= 0 || errno >= STRERROR_TEXT.length) {
            return readStrerror(errno);
        }
        String text = STRERROR_TEXT[errno];
        if (text == null) {
            text = readStrerror(errno);
            STRERROR_TEXT[errno] = text; // a race only reads the same text twice
        }
        return text;
    }

    private static final String[] STRERROR_TEXT = new String[256];

    private static String readStrerror(int errno) {
        try {
            MemorySegment s = (MemorySegment) STRERROR.invokeExact(errno);
            return s.reinterpret(256).getString(0);
        } catch (Throwable t) {
            return "errno " + errno;
        }
    }

    // ---- posix_spawn ----------------------------------------------------------------------------------------

    /** One step of the child's file setup, applied in order before exec. */
    public sealed interface FileAction {
        record Dup2(int fd, int target) implements FileAction {}

        record Open(int target, String path, int flags, int mode) implements FileAction {}

        record Close(int fd) implements FileAction {}

        /** Close every descriptor from {@code lowFd} up, so the child gets nothing of the agent's but 0, 1 and 2. */
        record CloseFrom(int lowFd) implements FileAction {}
    }

    /**
     * posix_spawn(3) of {@code path} in a new session, with every signal at its default disposition and an empty
     * signal mask (the JVM blocks and ignores some; a job must not inherit that). glibc reports exec failures
     * synchronously, so a missing binary fails here with ENOENT.
     */
    public static int spawn(String path, List<String> argv, List<String> env, List<FileAction> actions,
            Optional<String> chdir) throws LibcException {
        return spawn(path, argv, env, actions, chdir, true);
    }

    /**
     * As {@link #spawn(String, List, List, List, Optional)}; with {@code newSession} false the child stays in the
     * caller's session and process group, for a first program that calls setsid itself (which a group leader cannot).
     */
    public static int spawn(String path, List<String> argv, List<String> env, List<FileAction> actions,
            Optional<String> chdir, boolean newSession) throws LibcException {
        // In three parts, each too large for the JIT to inline: compiled as one method, the FFM calls of all three
        // took 11 MB of compiler memory, which the JVM keeps pooled for seconds after; in parts, a third of that.
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment fa = arena.allocate(FILE_ACTIONS_SIZE, 16);
            MemorySegment attr = arena.allocate(SPAWNATTR_SIZE, 16);
            checkSpawn("posix_spawn_file_actions_init", ptr(FA_INIT, fa));
            try {
                checkSpawn("posix_spawnattr_init", ptr(ATTR_INIT, attr));
                try {
                    addActions(arena, fa, actions, chdir);
                    setAttributes(arena, attr, newSession);
                    return posixSpawn(arena, path, fa, attr, argv, env);
                } finally {
                    ptr(ATTR_DESTROY, attr);
                }
            } finally {
                ptr(FA_DESTROY, fa);
            }
        }
    }

    private static void addActions(Arena arena, MemorySegment fa, List<FileAction> actions, Optional<String> chdir)
            throws LibcException {
        for (FileAction action : actions) {
            addAction(arena, fa, action);
        }
        if (chdir.isPresent()) {
            checkSpawn("posix_spawn_file_actions_addchdir_np", ptrPtr(FA_CHDIR, fa, arena.allocateFrom(chdir.get())));
        }
    }

    private static void setAttributes(Arena arena, MemorySegment attr, boolean newSession) throws LibcException {
        MemorySegment empty = arena.allocate(SIGSET_SIZE, 8);
        MemorySegment full = arena.allocate(SIGSET_SIZE, 8);
        ptr(SIGEMPTYSET, empty);
        // Every bit, not sigfillset: glibc's sigfillset leaves out its internal signals (32, 33), which then stay
        // ignored in the child if the agent inherited them ignored.
        full.fill((byte) 0xff);
        checkSpawn("posix_spawnattr_setsigmask", ptrPtr(ATTR_SETSIGMASK, attr, empty));
        checkSpawn("posix_spawnattr_setsigdefault", ptrPtr(ATTR_SETSIGDEFAULT, attr, full));
        short flags = (short) ((newSession ? POSIX_SPAWN_SETSID : 0) | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
        try {
            checkSpawn("posix_spawnattr_setflags", (int) ATTR_SETFLAGS.invokeExact(attr, flags));
        } catch (LibcException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private static int posixSpawn(Arena arena, String path, MemorySegment fa, MemorySegment attr, List<String> argv,
            List<String> env) throws LibcException {
        MemorySegment pid = arena.allocate(JAVA_INT);
        int err;
        try {
            err = (int) POSIX_SPAWN.invokeExact(pid, arena.allocateFrom(path), fa, attr, cStrings(arena, argv),
                    cStrings(arena, env));
        } catch (Throwable t) {
            throw new IllegalStateException("posix_spawn", t);
        }
        checkSpawn("posix_spawn", err);
        return pid.get(JAVA_INT, 0);
    }

    private static void addAction(Arena arena, MemorySegment fa, FileAction action) throws LibcException {
        switch (action) {
            case FileAction.Dup2 d -> checkSpawn("adddup2", invokeInt(() -> (int) FA_DUP2.invokeExact(fa, d.fd(), d.target())));
            case FileAction.Open o -> checkSpawn("addopen", invokeInt(() -> (int) FA_OPEN.invokeExact(fa, o.target(),
                    arena.allocateFrom(o.path()), o.flags(), o.mode())));
            case FileAction.Close c -> checkSpawn("addclose", invokeInt(() -> (int) FA_CLOSE.invokeExact(fa, c.fd())));
            case FileAction.CloseFrom c -> checkSpawn("addclosefrom_np",
                    invokeInt(() -> (int) FA_CLOSEFROM.invokeExact(fa, c.lowFd())));
        }
    }

    @FunctionalInterface
    private interface IntCall {
        int call() throws Throwable;
    }

    private static int invokeInt(IntCall call) {
        try {
            return call.call();
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private static void checkSpawn(String name, int err) throws LibcException {
        if (err != 0) {
            throw new LibcException(name, err);
        }
    }

    private static MemorySegment cStrings(Arena arena, List<String> strings) {
        MemorySegment array = arena.allocate(ADDRESS, strings.size() + 1L);
        for (int i = 0; i < strings.size(); i++) {
            array.setAtIndex(ADDRESS, i, arena.allocateFrom(strings.get(i)));
        }
        array.setAtIndex(ADDRESS, strings.size(), MemorySegment.NULL);
        return array;
    }
}
