package dev.upfleet.agent.process;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
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
    public static final int ENOTDIR = 20;
    public static final int EINVAL = 22;

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

    // Every function is bound with the errno capture and one descriptor per argument count, all arguments and the
    // result as C long: on the LP64 ABIs this runs on (x86_64 System V, AArch64) an int or a pointer argument travels
    // in the same integer register (or 8-byte stack slot, for variadic ones) as a long, and an int result is the low
    // half of the result register, which callers narrow with (int). Why: the FFM linker spins a stub class and its
    // lambda forms per distinct descriptor and options, interpreted at start-up, and the agent's first spawn waits for
    // Libc. One descriptor per C signature made 24 stubs and 277 generated classes; these 9 make 142, and an agent
    // with one job is ready in 360 instead of 470 ms (median of six), with 550 instead of 720 ms of CPU.
    private static final MethodHandle KILL = fn("kill", 2);
    private static final MethodHandle GETPID = fn("getpid", 0);
    private static final MethodHandle SETSID = fn("setsid", 0);
    private static final MethodHandle GETPGID = fn("getpgid", 1);
    private static final MethodHandle PRCTL = fn("prctl", 5, Linker.Option.firstVariadicArg(1));
    private static final MethodHandle SYSCALL = fn("syscall", 5, Linker.Option.firstVariadicArg(1));
    private static final MethodHandle WAITPID = fn("waitpid", 3);
    private static final MethodHandle OPEN = fn("open", 3, Linker.Option.firstVariadicArg(2));
    private static final MethodHandle CLOSE = fn("close", 1);
    private static final MethodHandle READ = fn("read", 3);
    private static final MethodHandle WRITE = fn("write", 3);
    private static final MethodHandle PIPE2 = fn("pipe2", 2);
    private static final MethodHandle POSIX_OPENPT = fn("posix_openpt", 1);
    private static final MethodHandle GRANTPT = fn("grantpt", 1);
    private static final MethodHandle UNLOCKPT = fn("unlockpt", 1);
    private static final MethodHandle IOCTL = fn("ioctl", 3, Linker.Option.firstVariadicArg(2));
    private static final MethodHandle PTSNAME_R = fn("ptsname_r", 3);
    private static final MethodHandle EPOLL_CREATE1 = fn("epoll_create1", 1);
    private static final MethodHandle EPOLL_CTL = fn("epoll_ctl", 4);
    private static final MethodHandle EPOLL_WAIT = fn("epoll_wait", 4);
    private static final MethodHandle GETRLIMIT = fn("getrlimit", 2);
    private static final MethodHandle SETRLIMIT = fn("setrlimit", 2);
    private static final MethodHandle PRLIMIT = fn("prlimit", 4);
    private static final MethodHandle STRERROR = fn("strerror", 1);

    // posix_spawn and its helpers return the error number instead of setting errno.
    private static final MethodHandle POSIX_SPAWN = fn("posix_spawn", 6);
    private static final MethodHandle FA_INIT = fn("posix_spawn_file_actions_init", 1);
    private static final MethodHandle FA_DESTROY = fn("posix_spawn_file_actions_destroy", 1);
    private static final MethodHandle FA_DUP2 = fn("posix_spawn_file_actions_adddup2", 3);
    private static final MethodHandle FA_OPEN = fn("posix_spawn_file_actions_addopen", 5);
    private static final MethodHandle FA_CLOSE = fn("posix_spawn_file_actions_addclose", 2);
    private static final MethodHandle FA_CLOSEFROM = fn("posix_spawn_file_actions_addclosefrom_np", 2);
    private static final MethodHandle FA_CHDIR = fn("posix_spawn_file_actions_addchdir_np", 2);
    private static final MethodHandle ATTR_INIT = fn("posix_spawnattr_init", 1);
    private static final MethodHandle ATTR_DESTROY = fn("posix_spawnattr_destroy", 1);
    private static final MethodHandle ATTR_SETFLAGS = fn("posix_spawnattr_setflags", 2);
    private static final MethodHandle ATTR_SETSIGMASK = fn("posix_spawnattr_setsigmask", 2);
    private static final MethodHandle ATTR_SETSIGDEFAULT = fn("posix_spawnattr_setsigdefault", 2);
    private static final MethodHandle SIGEMPTYSET = fn("sigemptyset", 1);

    private Libc() {}

    /** {@code name} as {@code long name(long, ...)} with {@code arguments} arguments, errno captured. */
    private static MethodHandle fn(String name, int arguments, Linker.Option... variadic) {
        MemorySegment symbol = LOOKUP.find(name).orElseThrow(() -> new UnsatisfiedLinkError("libc: " + name));
        MemoryLayout[] longs = new MemoryLayout[arguments];
        java.util.Arrays.fill(longs, JAVA_LONG);
        Linker.Option[] options = new Linker.Option[variadic.length + 1];
        options[0] = ERRNO;
        System.arraycopy(variadic, 0, options, 1, variadic.length);
        return LINKER.downcallHandle(symbol, FunctionDescriptor.of(JAVA_LONG, longs), options);
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

    @FunctionalInterface
    private interface SpawnStep {
        long call() throws Throwable;
    }

    /** One call of posix_spawn or a helper of it: these return the error number instead of -1 and errno. */
    private static void spawnStep(String name, SpawnStep step) throws LibcException {
        int err;
        try {
            err = (int) step.call();
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(name, t);
        }
        if (err != 0) {
            throw new LibcException(name, err);
        }
    }

    // ---- processes ------------------------------------------------------------------------------------------

    public static int getpid() {
        try {
            return (int) call("getpid", (cs, a) -> (int) (long) GETPID.invokeExact(cs));
        } catch (LibcException e) {
            throw new IllegalStateException(e); // getpid cannot fail
        }
    }

    public static void kill(long pid, int signal) throws LibcException {
        call("kill", (cs, a) -> (int) (long) KILL.invokeExact(cs, pid, (long) signal));
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
        return (int) call("getpgid", (cs, a) -> (int) (long) GETPGID.invokeExact(cs, pid));
    }

    public static int setsid() throws LibcException {
        return (int) call("setsid", (cs, a) -> (int) (long) SETSID.invokeExact(cs));
    }

    public static int prctl(int option, long arg2) throws LibcException {
        return (int) call("prctl", (cs, a) -> (int) (long) PRCTL.invokeExact(cs, (long) option, arg2, 0L, 0L, 0L));
    }

    /** pidfd_open(2): an fd that becomes readable when the process exits. */
    public static int pidfdOpen(long pid) throws LibcException {
        return (int) call("pidfd_open", (cs, a) -> (long) SYSCALL.invokeExact(cs, SYS_PIDFD_OPEN, pid, 0L, 0L, 0L));
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
                int got = (int) call("waitpid",
                        (cs, a) -> (int) (long) WAITPID.invokeExact(cs, pid, status.address(), (long) options));
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
        return (int) call("open",
                (cs, a) -> (int) (long) OPEN.invokeExact(cs, a.allocateFrom(path).address(), (long) flags, (long) mode));
    }

    public static void close(int fd) throws LibcException {
        call("close", (cs, a) -> (int) (long) CLOSE.invokeExact(cs, (long) fd));
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
        return call("read", (cs, a) -> (long) READ.invokeExact(cs, (long) fd, buffer.address(), buffer.byteSize()));
    }

    public static long write(int fd, MemorySegment buffer, long length) throws LibcException {
        return call("write", (cs, a) -> (long) WRITE.invokeExact(cs, (long) fd, buffer.address(), length));
    }

    /** pipe2(2): {@code [read end, write end]}. */
    public static int[] pipe2(int flags) throws LibcException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment fds = arena.allocate(JAVA_INT, 2);
            call("pipe2", (cs, a) -> (int) (long) PIPE2.invokeExact(cs, fds.address(), (long) flags));
            return new int[] {fds.getAtIndex(JAVA_INT, 0), fds.getAtIndex(JAVA_INT, 1)};
        }
    }

    // ---- pseudo-terminals -----------------------------------------------------------------------------------

    public static int posixOpenpt(int flags) throws LibcException {
        return (int) call("posix_openpt", (cs, a) -> (int) (long) POSIX_OPENPT.invokeExact(cs, (long) flags));
    }

    public static void grantpt(int fd) throws LibcException {
        call("grantpt", (cs, a) -> (int) (long) GRANTPT.invokeExact(cs, (long) fd));
    }

    /**
     * The slave side of a pty master, opened through the master ({@code ioctl(TIOCGPTPEER)}, Linux 4.13): no
     * ptsname and no path lookup of {@code /dev/pts/N}. Throws (EINVAL, ENOTTY) where the kernel lacks it.
     */
    public static int openPtyPeer(int master, int flags) throws LibcException {
        return (int) call("ioctl", (cs, a) -> (int) (long) IOCTL.invokeExact(cs, (long) master, TIOCGPTPEER, (long) flags));
    }

    public static void unlockpt(int fd) throws LibcException {
        call("unlockpt", (cs, a) -> (int) (long) UNLOCKPT.invokeExact(cs, (long) fd));
    }

    public static String ptsname(int fd) throws LibcException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(128);
            int err;
            try {
                err = (int) (long) PTSNAME_R.invokeExact(arena.allocate(CAPTURE), (long) fd, buf.address(), 128L);
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
        return (int) call("epoll_create1", (cs, a) -> (int) (long) EPOLL_CREATE1.invokeExact(cs, (long) flags));
    }

    /** epoll_ctl(2) with {@code data} = the fd itself, so the waiter learns which fd is ready. */
    public static void epollCtl(int epfd, int op, int fd, int events) throws LibcException {
        call("epoll_ctl", (cs, a) -> {
            MemorySegment ev = a.allocate(EPOLL_EVENT_SIZE, 4);
            ev.set(JAVA_INT, 0, events);
            ev.set(JAVA_LONG.withByteAlignment(1), 4, fd);
            return (int) (long) EPOLL_CTL.invokeExact(cs, (long) epfd, (long) op, (long) fd, ev.address());
        });
    }

    /** epoll_wait(2) into {@code events} (an array of packed epoll_event); EINTR reads as 0 ready. */
    public static int epollWait(int epfd, MemorySegment events, int timeoutMillis) throws LibcException {
        int max = (int) (events.byteSize() / EPOLL_EVENT_SIZE);
        try {
            return (int) call("epoll_wait", (cs, a) -> (int) (long) EPOLL_WAIT.invokeExact(cs, (long) epfd,
                    events.address(), (long) max, (long) timeoutMillis));
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
            call("getrlimit", (cs, a) -> (int) (long) GETRLIMIT.invokeExact(cs, (long) resource, rl.address()));
            return new Rlimit(rl.getAtIndex(JAVA_LONG, 0), rl.getAtIndex(JAVA_LONG, 1));
        }
    }

    public static void setrlimit(int resource, Rlimit limit) throws LibcException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment rl = arena.allocate(JAVA_LONG, 2);
            rl.setAtIndex(JAVA_LONG, 0, limit.soft());
            rl.setAtIndex(JAVA_LONG, 1, limit.hard());
            call("setrlimit", (cs, a) -> (int) (long) SETRLIMIT.invokeExact(cs, (long) resource, rl.address()));
        }
    }

    /** prlimit(2) reading another process's limit. */
    public static Rlimit prlimit(long pid, int resource) throws LibcException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment old = arena.allocate(JAVA_LONG, 2);
            call("prlimit", (cs, a) -> (int) (long) PRLIMIT.invokeExact(cs, pid, (long) resource, 0L, old.address()));
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
        try (Arena arena = Arena.ofConfined()) {
            long text = (long) STRERROR.invokeExact(arena.allocate(CAPTURE), (long) errno);
            return MemorySegment.ofAddress(text).reinterpret(256).getString(0);
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
            MemorySegment cs = arena.allocate(CAPTURE);
            long fa = arena.allocate(FILE_ACTIONS_SIZE, 16).address();
            long attr = arena.allocate(SPAWNATTR_SIZE, 16).address();
            spawnStep("posix_spawn_file_actions_init", () -> (long) FA_INIT.invokeExact(cs, fa));
            try {
                spawnStep("posix_spawnattr_init", () -> (long) ATTR_INIT.invokeExact(cs, attr));
                try {
                    addActions(arena, cs, fa, actions, chdir);
                    setAttributes(arena, cs, attr, newSession);
                    return posixSpawn(arena, cs, path, fa, attr, argv, env);
                } finally {
                    spawnStep("posix_spawnattr_destroy", () -> (long) ATTR_DESTROY.invokeExact(cs, attr));
                }
            } finally {
                spawnStep("posix_spawn_file_actions_destroy", () -> (long) FA_DESTROY.invokeExact(cs, fa));
            }
        }
    }

    private static void addActions(Arena arena, MemorySegment cs, long fa, List<FileAction> actions,
            Optional<String> chdir) throws LibcException {
        for (FileAction action : actions) {
            switch (action) {
                case FileAction.Dup2 d -> spawnStep("posix_spawn_file_actions_adddup2",
                        () -> (long) FA_DUP2.invokeExact(cs, fa, (long) d.fd(), (long) d.target()));
                case FileAction.Open o -> spawnStep("posix_spawn_file_actions_addopen",
                        () -> (long) FA_OPEN.invokeExact(cs, fa, (long) o.target(), arena.allocateFrom(o.path()).address(),
                                (long) o.flags(), (long) o.mode()));
                case FileAction.Close c -> spawnStep("posix_spawn_file_actions_addclose",
                        () -> (long) FA_CLOSE.invokeExact(cs, fa, (long) c.fd()));
                case FileAction.CloseFrom c -> spawnStep("posix_spawn_file_actions_addclosefrom_np",
                        () -> (long) FA_CLOSEFROM.invokeExact(cs, fa, (long) c.lowFd()));
            }
        }
        if (chdir.isPresent()) {
            long dir = arena.allocateFrom(chdir.get()).address();
            spawnStep("posix_spawn_file_actions_addchdir_np", () -> (long) FA_CHDIR.invokeExact(cs, fa, dir));
        }
    }

    private static void setAttributes(Arena arena, MemorySegment cs, long attr, boolean newSession)
            throws LibcException {
        long empty = arena.allocate(SIGSET_SIZE, 8).address();
        MemorySegment full = arena.allocate(SIGSET_SIZE, 8);
        spawnStep("sigemptyset", () -> (long) SIGEMPTYSET.invokeExact(cs, empty));
        // Every bit, not sigfillset: glibc's sigfillset leaves out its internal signals (32, 33), which then stay
        // ignored in the child if the agent inherited them ignored.
        full.fill((byte) 0xff);
        spawnStep("posix_spawnattr_setsigmask", () -> (long) ATTR_SETSIGMASK.invokeExact(cs, attr, empty));
        spawnStep("posix_spawnattr_setsigdefault", () -> (long) ATTR_SETSIGDEFAULT.invokeExact(cs, attr, full.address()));
        long flags = (newSession ? POSIX_SPAWN_SETSID : 0) | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
        spawnStep("posix_spawnattr_setflags", () -> (long) ATTR_SETFLAGS.invokeExact(cs, attr, flags));
    }

    private static int posixSpawn(Arena arena, MemorySegment cs, String path, long fa, long attr, List<String> argv,
            List<String> env) throws LibcException {
        MemorySegment pid = arena.allocate(JAVA_INT);
        long file = arena.allocateFrom(path).address();
        long args = cStrings(arena, argv).address();
        long environment = cStrings(arena, env).address();
        spawnStep("posix_spawn",
                () -> (long) POSIX_SPAWN.invokeExact(cs, pid.address(), file, fa, attr, args, environment));
        return pid.get(JAVA_INT, 0);
    }

    /**
     * A NULL-terminated {@code char *[]} of the strings, all of them in one block: a spawn passes some 40 (its argv
     * and environment), and one native allocation per string cost a malloc, a free and two Java objects each.
     */
    private static MemorySegment cStrings(Arena arena, List<String> strings) {
        byte[][] encoded = new byte[strings.size()][];
        long chars = 0;
        for (int i = 0; i < encoded.length; i++) {
            encoded[i] = strings.get(i).getBytes(StandardCharsets.UTF_8);
            chars += encoded[i].length + 1L;
        }
        long pointers = JAVA_LONG.byteSize() * (encoded.length + 1L); // pointers are longs on LP64 (see the handles)
        MemorySegment block = arena.allocate(pointers + chars, JAVA_LONG.byteAlignment());
        long at = pointers; // a confined arena's memory is zeroed: every NUL and the final NULL are there already
        for (int i = 0; i < encoded.length; i++) {
            MemorySegment.copy(encoded[i], 0, block, JAVA_BYTE, at, encoded[i].length);
            block.setAtIndex(JAVA_LONG, i, block.address() + at);
            at += encoded[i].length + 1L;
        }
        return block;
    }
}
