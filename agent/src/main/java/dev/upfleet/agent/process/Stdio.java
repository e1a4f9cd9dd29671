package dev.upfleet.agent.process;

import dev.upfleet.agent.process.Libc.FileAction;
import dev.upfleet.core.job.Console;
import java.util.ArrayList;
import java.util.List;

/**
 * The child's descriptors 0, 1, 2 for one spawn, and what the parent keeps: {@code parentEnd} is the pty master or
 * pipe read end to be logged ({@code -1} when not logging); {@code childEnd} is the parent's copy of the slave or
 * write end (or console), closed right after the spawn; {@code onConsole} says the console was opened. Every other
 * descriptor is closed in the child.
 */
record Stdio(List<FileAction> actions, int parentEnd, int childEnd, boolean onConsole) implements AutoCloseable {
    private static final String DEV_NULL = "/dev/null";
    static final String CONSOLE = "/dev/console";

    /**
     * {@code consolePath}: {@code /dev/console}, or another terminal in tests. Throws only for {@code console owner}
     * when the console cannot be opened: Upstart then fails the spawn ("unable to open console"), where {@code console
     * output} falls back to none.
     */
    static Stdio forConsole(Console console, PtySpare ptys, String consolePath) throws LibcException {
        return switch (console) {
            case NONE -> none();
            // We are not PID 1: the console may not be ours to open. When it opens, use it (console owner then also
            // makes it the controlling terminal, see AttributeChain).
            case OUTPUT -> {
                try {
                    yield console(consolePath);
                } catch (LibcException e) {
                    yield none();
                }
            }
            case OWNER -> console(consolePath);
            case LOG -> log(ptys);
        };
    }

    static Stdio none() {
        return new Stdio(withCloseFrom(List.of(
                new FileAction.Open(0, DEV_NULL, Libc.O_RDONLY, 0),
                new FileAction.Open(1, DEV_NULL, Libc.O_WRONLY, 0),
                new FileAction.Dup2(1, 2))), -1, -1, false);
    }

    private static Stdio console(String path) throws LibcException {
        int fd = Libc.open(path, Libc.O_RDWR | Libc.O_NOCTTY | Libc.O_CLOEXEC, 0);
        return new Stdio(withCloseFrom(List.of(
                new FileAction.Dup2(fd, 0), new FileAction.Dup2(fd, 1), new FileAction.Dup2(fd, 2))), -1, fd, true);
    }

    /**
     * A pty (lines end in \r\n, as in Upstart); a pipe when no pty is left (kernel.pty.max) or ptys are off
     * ({@code ptys} null).
     */
    private static Stdio log(PtySpare ptys) {
        if (ptys != null) {
            try {
                PtySpare.Pair pty = ptys.take();
                return logged(pty.master(), pty.slave());
            } catch (LibcException e) {
                // none left: a pipe
            }
        }
        try {
            int[] pipe = Libc.pipe2(Libc.O_CLOEXEC);
            return logged(pipe[0], pipe[1]);
        } catch (LibcException e) {
            return none(); // out of descriptors: Upstart's "no pty → console none"
        }
    }


    private static Stdio logged(int parentEnd, int childEnd) {
        return new Stdio(withCloseFrom(List.of(
                new FileAction.Open(0, DEV_NULL, Libc.O_RDONLY, 0),
                new FileAction.Dup2(childEnd, 1),
                new FileAction.Dup2(childEnd, 2))), parentEnd, childEnd, false);
    }

    private static List<FileAction> withCloseFrom(List<FileAction> actions) {
        List<FileAction> all = new ArrayList<>(actions);
        all.add(new FileAction.CloseFrom(3));
        return List.copyOf(all);
    }

    /**
     * The actions, with {@code fd} also handed to the child as descriptor {@code target} (above 2): every other
     * descriptor is still closed.
     */
    List<FileAction> actionsGiving(int fd, int target) {
        List<FileAction> all = new ArrayList<>(actions.subList(0, actions.size() - 1)); // all but the CloseFrom(3)
        all.add(new FileAction.Dup2(fd, target));
        for (int low = 3; low < target; low++) {
            all.add(new FileAction.Close(low)); // glibc ignores a descriptor that is not open
        }
        all.add(new FileAction.CloseFrom(target + 1));
        return all;
    }

    /** Closes the parent's copy of the child's end (after the spawn). */
    @Override
    public void close() {
        Libc.closeQuietly(childEnd);
    }

    /** Closes everything, for a spawn that failed. */
    void abandon() {
        close();
        Libc.closeQuietly(parentEnd);
    }
}
