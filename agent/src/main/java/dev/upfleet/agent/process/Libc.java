package dev.upfleet.agent.process;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

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

    // Every function is called through one of two downcall handles, which take the function's address, the errno
    // capture and six arguments, all of them and the result as C long; a function of fewer arguments gets zeros it
    // never reads. On the LP64 ABIs this runs on (x86_64 System V, AArch64) an int or a pointer argument travels in the
    // same integer register as a long, the first six of them in registers, and an int result is the low half of the
    // result register, which callers narrow with (int). Why: the FFM linker spins a stub class and its lambda forms per
    // distinct descriptor and options, and a handle bound to an address adds its own; all of that runs interpreted at
    // start-up, and the agent's first spawn waits for this class. One handle per C signature made 24 stubs and 277
    // generated classes; one per argument count, 9 stubs and 142. Against that, these two took this class's
    // initialisation from 93-176 to 42-54 ms (six interleaved runs) and its generated classes from 106 to 38.
    private static final FunctionDescriptor SIX_LONGS = FunctionDescriptor.of(JAVA_LONG,
            JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG);
    private static final MethodHandle CALL = LINKER.downcallHandle(SIX_LONGS, ERRNO);
    /** For the variadic functions (prctl, syscall, open, ioctl): on x86_64 a variadic call also sets %al. */
    private static final MethodHandle CALL_VARIADIC = LINKER.downcallHandle(SIX_LONGS, ERRNO,
            Linker.Option.firstVariadicArg(1));

    private static final MemorySegment KILL = symbol("kill");
    private static final MemorySegment GETPID = symbol("getpid");
    private static final MemorySegment SETSID = symbol("setsid");
    private static final MemorySegment GETPGID = symbol("getpgid");
    private static final MemorySegment PRCTL = symbol("prctl");
    private static final MemorySegment SYSCALL = symbol("syscall");
    private static final MemorySegment WAITPID = symbol("waitpid");
    private static final MemorySegment OPEN = symbol("open");
    private static final MemorySegment CLOSE = symbol("close");
    private static final MemorySegment READ = symbol("read");
    private static final MemorySegment WRITE = symbol("write");
    private static final MemorySegment PIPE2 = symbol("pipe2");
    private static final MemorySegment FCHOWN = symbol("fchown");
    private static final MemorySegment POSIX_OPENPT = symbol("posix_openpt");
    private static final MemorySegment GRANTPT = symbol("grantpt");
    private static final MemorySegment UNLOCKPT = symbol("unlockpt");
    private static final MemorySegment IOCTL = symbol("ioctl");
    private static final MemorySegment PTSNAME_R = symbol("ptsname_r");
    private static final MemorySegment EPOLL_CREATE1 = symbol("epoll_create1");
    private static final MemorySegment EPOLL_CTL = symbol("epoll_ctl");
    private static final MemorySegment EPOLL_WAIT = symbol("epoll_wait");
    private static final MemorySegment GETRLIMIT = symbol("getrlimit");
    private static final MemorySegment SETRLIMIT = symbol("setrlimit");
    private static final MemorySegment PRLIMIT = symbol("prlimit");
    private static final MemorySegment STRERROR = symbol("strerror");

    // posix_spawn and its helpers return the error number instead of setting errno.
    private static final MemorySegment POSIX_SPAWN = symbol("posix_spawn");
    private static final MemorySegment FA_INIT = symbol("posix_spawn_file_actions_init");
    private static final MemorySegment FA_DESTROY = symbol("posix_spawn_file_actions_destroy");
    private static final MemorySegment FA_DUP2 = symbol("posix_spawn_file_actions_adddup2");
    private static final MemorySegment FA_OPEN = symbol("posix_spawn_file_actions_addopen");
    private static final MemorySegment FA_CLOSE = symbol("posix_spawn_file_actions_addclose");
    private static final MemorySegment FA_CLOSEFROM = symbol("posix_spawn_file_actions_addclosefrom_np");
    private static final MemorySegment FA_CHDIR = symbol("posix_spawn_file_actions_addchdir_np");
    private static final MemorySegment ATTR_INIT = symbol("posix_spawnattr_init");
    private static final MemorySegment ATTR_SETFLAGS = symbol("posix_spawnattr_setflags");
    private static final MemorySegment ATTR_SETSIGMASK = symbol("posix_spawnattr_setsigmask");
    private static final MemorySegment ATTR_SETSIGDEFAULT = symbol("posix_spawnattr_setsigdefault");
    private static final MemorySegment SIGEMPTYSET = symbol("sigemptyset");

    private Libc() {}

    private static MemorySegment symbol(String name) {
        return LOOKUP.find(name).orElseThrow(() -> new UnsatisfiedLinkError("libc: " + name));
    }

    /** {@code fn(a, b, c, d, e, f)}, errno into {@code cs}: every call of a non-variadic function ends here. */
    private static long invoke(MemorySegment fn, MemorySegment cs, long a, long b, long c, long d, long e, long f)
            throws Throwable {
        return (long) CALL.invokeExact(fn, cs, a, b, c, d, e, f);
    }

    private static long invoke(MemorySegment fn, MemorySegment cs) throws Throwable {
        return invoke(fn, cs, 0L, 0L, 0L, 0L, 0L, 0L);
    }

    private static long invoke(MemorySegment fn, MemorySegment cs, long a) throws Throwable {
        return invoke(fn, cs, a, 0L, 0L, 0L, 0L, 0L);
    }

    private static long invoke(MemorySegment fn, MemorySegment cs, long a, long b) throws Throwable {
        return invoke(fn, cs, a, b, 0L, 0L, 0L, 0L);
    }

    private static long invoke(MemorySegment fn, MemorySegment cs, long a, long b, long c) throws Throwable {
        return invoke(fn, cs, a, b, c, 0L, 0L, 0L);
    }

    private static long invoke(MemorySegment fn, MemorySegment cs, long a, long b, long c, long d) throws Throwable {
        return invoke(fn, cs, a, b, c, d, 0L, 0L);
    }

    private static long invoke(MemorySegment fn, MemorySegment cs, long a, long b, long c, long d, long e)
            throws Throwable {
        return invoke(fn, cs, a, b, c, d, e, 0L);
    }

    /** {@code fn(a, b, c, ...)} of a variadic function, errno into {@code cs}; the unused arguments are zeros. */
    private static long variadic(MemorySegment fn, MemorySegment cs, long a, long b, long c) throws Throwable {
        return (long) CALL_VARIADIC.invokeExact(fn, cs, a, b, c, 0L, 0L, 0L);
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
            return (int) call("getpid", (cs, a) -> (int) invoke(GETPID, cs));
        } catch (LibcException e) {
            throw new IllegalStateException(e); // getpid cannot fail
        }
    }

    public static void kill(long pid, int signal) throws LibcException {
        call("kill", (cs, a) -> (int) invoke(KILL, cs, pid, signal));
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
        return (int) call("getpgid", (cs, a) -> (int) invoke(GETPGID, cs, pid));
    }

    public static int setsid() throws LibcException {
        return (int) call("setsid", (cs, a) -> (int) invoke(SETSID, cs));
    }

    public static int prctl(int option, long arg2) throws LibcException {
        return (int) call("prctl", (cs, a) -> (int) variadic(PRCTL, cs, option, arg2, 0L));
    }

    /** pidfd_open(2): an fd that becomes readable when the process exits. */
    public static int pidfdOpen(long pid) throws LibcException {
        return (int) call("pidfd_open", (cs, a) -> variadic(SYSCALL, cs, SYS_PIDFD_OPEN, pid, 0L));
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
                        (cs, a) -> (int) invoke(WAITPID, cs, pid, status.address(), options));
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
                (cs, a) -> (int) variadic(OPEN, cs, a.allocateFrom(path).address(), flags, mode));
    }

    public static void close(int fd) throws LibcException {
        call("close", (cs, a) -> (int) invoke(CLOSE, cs, fd));
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
        return call("read", (cs, a) -> invoke(READ, cs, fd, buffer.address(), buffer.byteSize()));
    }

    public static long write(int fd, MemorySegment buffer, long length) throws LibcException {
        return call("write", (cs, a) -> invoke(WRITE, cs, fd, buffer.address(), length));
    }

    public static void fchown(int fd, long uid, long gid) throws LibcException {
        call("fchown", (cs, a) -> invoke(FCHOWN, cs, fd, uid, gid));
    }

    /** pipe2(2): {@code [read end, write end]}. */
    public static int[] pipe2(int flags) throws LibcException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment fds = arena.allocate(JAVA_INT, 2);
            call("pipe2", (cs, a) -> (int) invoke(PIPE2, cs, fds.address(), flags));
            return new int[] {fds.getAtIndex(JAVA_INT, 0), fds.getAtIndex(JAVA_INT, 1)};
        }
    }

    // ---- pseudo-terminals -----------------------------------------------------------------------------------

    public static int posixOpenpt(int flags) throws LibcException {
        return (int) call("posix_openpt", (cs, a) -> (int) invoke(POSIX_OPENPT, cs, flags));
    }

    public static void grantpt(int fd) throws LibcException {
        call("grantpt", (cs, a) -> (int) invoke(GRANTPT, cs, fd));
    }

    /**
     * The slave side of a pty master, opened through the master ({@code ioctl(TIOCGPTPEER)}, Linux 4.13): no
     * ptsname and no path lookup of {@code /dev/pts/N}. Throws (EINVAL, ENOTTY) where the kernel lacks it.
     */
    public static int openPtyPeer(int master, int flags) throws LibcException {
        return (int) call("ioctl", (cs, a) -> (int) variadic(IOCTL, cs, master, TIOCGPTPEER, flags));
    }

    public static void unlockpt(int fd) throws LibcException {
        call("unlockpt", (cs, a) -> (int) invoke(UNLOCKPT, cs, fd));
    }

    public static String ptsname(int fd) throws LibcException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(128);
            int err;
            try {
                err = (int) invoke(PTSNAME_R, arena.allocate(CAPTURE), fd, buf.address(), 128L);
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
        return (int) call("epoll_create1", (cs, a) -> (int) invoke(EPOLL_CREATE1, cs, flags));
    }

    /** epoll_ctl(2) with {@code data} = the fd itself, so the waiter learns which fd is ready. */
    public static void epollCtl(int epfd, int op, int fd, int events) throws LibcException {
        call("epoll_ctl", (cs, a) -> {
            MemorySegment ev = a.allocate(EPOLL_EVENT_SIZE, 4);
            ev.set(JAVA_INT, 0, events);
            ev.set(JAVA_LONG_UNALIGNED, 4, fd);
            return (int) invoke(EPOLL_CTL, cs, epfd, op, fd, ev.address());
        });
    }

    /** epoll_wait(2) into {@code events} (an array of packed epoll_event); EINTR reads as 0 ready. */
    public static int epollWait(int epfd, MemorySegment events, int timeoutMillis) throws LibcException {
        int max = (int) (events.byteSize() / EPOLL_EVENT_SIZE);
        try {
            return (int) call("epoll_wait", (cs, a) -> (int) invoke(EPOLL_WAIT, cs, epfd,
                    events.address(), max, timeoutMillis));
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
        return (int) events.get(JAVA_LONG_UNALIGNED, index * EPOLL_EVENT_SIZE + 4);
    }

    // ---- resource limits ------------------------------------------------------------------------------------

    /** {@code struct rlimit}; {@link #RLIM_INFINITY} (-1) for unlimited. */
    public record Rlimit(long soft, long hard) {}

    public static Rlimit getrlimit(int resource) throws LibcException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment rl = arena.allocate(JAVA_LONG, 2);
            call("getrlimit", (cs, a) -> (int) invoke(GETRLIMIT, cs, resource, rl.address()));
            return new Rlimit(rl.getAtIndex(JAVA_LONG, 0), rl.getAtIndex(JAVA_LONG, 1));
        }
    }

    public static void setrlimit(int resource, Rlimit limit) throws LibcException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment rl = arena.allocate(JAVA_LONG, 2);
            rl.setAtIndex(JAVA_LONG, 0, limit.soft());
            rl.setAtIndex(JAVA_LONG, 1, limit.hard());
            call("setrlimit", (cs, a) -> (int) invoke(SETRLIMIT, cs, resource, rl.address()));
        }
    }

    /** prlimit(2) reading another process's limit. */
    public static Rlimit prlimit(long pid, int resource) throws LibcException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment old = arena.allocate(JAVA_LONG, 2);
            call("prlimit", (cs, a) -> (int) invoke(PRLIMIT, cs, pid, resource, 0L, old.address()));
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
            long text = invoke(STRERROR, arena.allocate(CAPTURE), errno);
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
        // In parts, each too large for the JIT to inline: compiled as one method, the FFM calls of all of them took
        // 11 MB of compiler memory, which the JVM keeps pooled for seconds after; in parts, a third of that.
        long attr = SpawnAttributes.of(newSession);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment cs = arena.allocate(CAPTURE);
            long fa = arena.allocate(FILE_ACTIONS_SIZE, 16).address();
            spawnStep("posix_spawn_file_actions_init", () -> invoke(FA_INIT, cs, fa));
            try {
                addActions(arena, cs, fa, actions, chdir);
                return posixSpawn(arena, cs, path, fa, attr, argv, env);
            } finally {
                spawnStep("posix_spawn_file_actions_destroy", () -> invoke(FA_DESTROY, cs, fa));
            }
        }
    }

    private static void addActions(Arena arena, MemorySegment cs, long fa, List<FileAction> actions,
            Optional<String> chdir) throws LibcException {
        for (FileAction action : actions) {
            switch (action) {
                case FileAction.Dup2 d -> spawnStep("posix_spawn_file_actions_adddup2",
                        () -> invoke(FA_DUP2, cs, fa, d.fd(), d.target()));
                case FileAction.Open o -> spawnStep("posix_spawn_file_actions_addopen",
                        () -> invoke(FA_OPEN, cs, fa, o.target(), arena.allocateFrom(o.path()).address(),
                                o.flags(), o.mode()));
                case FileAction.Close close -> spawnStep("posix_spawn_file_actions_addclose",
                        () -> invoke(FA_CLOSE, cs, fa, close.fd()));
                case FileAction.CloseFrom from -> spawnStep("posix_spawn_file_actions_addclosefrom_np",
                        () -> invoke(FA_CLOSEFROM, cs, fa, from.lowFd()));
            }
        }
        if (chdir.isPresent()) {
            long dir = arena.allocateFrom(chdir.get()).address();
            spawnStep("posix_spawn_file_actions_addchdir_np", () -> invoke(FA_CHDIR, cs, fa, dir));
        }
    }

    /**
     * The two posix_spawnattr_t every spawn uses (a new session or not; every signal at its default disposition, an
     * empty mask), built once, on the first spawn: posix_spawn only reads them, so threads may share them, and
     * building them per spawn took six native calls, on the way from a process's death to its respawn.
     */
    private static final class SpawnAttributes {
        private static final long NEW_SESSION = build(true);
        private static final long SAME_SESSION = build(false);

        static long of(boolean newSession) {
            return newSession ? NEW_SESSION : SAME_SESSION;
        }

        private static long build(boolean newSession) {
            Arena forever = Arena.global();
            MemorySegment cs = forever.allocate(CAPTURE);
            long attr = forever.allocate(SPAWNATTR_SIZE, 16).address();
            long empty = forever.allocate(SIGSET_SIZE, 8).address();
            MemorySegment full = forever.allocate(SIGSET_SIZE, 8);
            // Every bit, not sigfillset: glibc's sigfillset leaves out its internal signals (32, 33), which then stay
            // ignored in the child if the agent inherited them ignored.
            full.fill((byte) 0xff);
            long flags = (newSession ? POSIX_SPAWN_SETSID : 0) | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
            try {
                spawnStep("posix_spawnattr_init", () -> invoke(ATTR_INIT, cs, attr));
                spawnStep("sigemptyset", () -> invoke(SIGEMPTYSET, cs, empty));
                spawnStep("posix_spawnattr_setsigmask", () -> invoke(ATTR_SETSIGMASK, cs, attr, empty));
                spawnStep("posix_spawnattr_setsigdefault", () -> invoke(ATTR_SETSIGDEFAULT, cs, attr, full.address()));
                spawnStep("posix_spawnattr_setflags", () -> invoke(ATTR_SETFLAGS, cs, attr, flags));
            } catch (LibcException e) {
                throw new IllegalStateException(e); // glibc's attribute calls have no failure to report
            }
            return attr;
        }
    }

    private static int posixSpawn(Arena arena, MemorySegment cs, String path, long fa, long attr, List<String> argv,
            List<String> env) throws LibcException {
        MemorySegment pid = arena.allocate(JAVA_INT);
        long file = arena.allocateFrom(path).address();
        long args = cStrings(arena, argv).address();
        long environment = cStrings(arena, env).address();
        spawnStep("posix_spawn",
                () -> invoke(POSIX_SPAWN, cs, pid.address(), file, fa, attr, args, environment));
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
