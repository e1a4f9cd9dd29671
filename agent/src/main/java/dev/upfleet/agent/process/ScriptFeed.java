package dev.upfleet.agent.process;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;

/**
 * A multi-line script on its way to its shell, as Upstart feeds it ({@code /bin/sh -e /proc/self/fd/9}): the child
 * gets the read end of a pipe as {@link CommandLine#SCRIPT_FD}, and the agent writes the script into the other end,
 * then closes it. So the shell names the script {@code /proc/self/fd/9} in {@code $0} and in its error messages, with
 * line numbers, as on Upstart. Opened, started or abandoned by the spawning thread.
 */
final class ScriptFeed {
    /** What any pipe holds at once: one page, the size of a new pipe once the user's pipe quota is spent. */
    private static final int ALWAYS_FITS = 4096;

    private final int readEnd;
    private final int writeEnd;
    private final byte[] script;

    private ScriptFeed(int readEnd, int writeEnd, byte[] script) {
        this.readEnd = readEnd;
        this.writeEnd = writeEnd;
        this.script = script;
    }

    static ScriptFeed open(String script) throws LibcException {
        int[] pipe = Libc.pipe2(Libc.O_CLOEXEC);
        return new ScriptFeed(pipe[0], pipe[1], script.getBytes(StandardCharsets.UTF_8));
    }

    int readEnd() {
        return readEnd;
    }

    /**
     * The job's processes run as {@code user}: give them the pipe, whose mode lets only its owner open it again
     * through {@code /proc/self/fd/9} (Upstart fchowns it too).
     */
    void ownBy(AttributeChain.Ids user) throws LibcException {
        Libc.fchown(readEnd, user.uid(), user.gid());
    }

    /**
     * The child holds its copy of the read end: writes the script, at once when it fits in the pipe, else on a thread
     * of its own that waits for the shell to read (a spawn must not wait for a job). A platform thread, since the
     * native write would pin a virtual thread's carrier for as long as the shell takes.
     */
    void start() {
        Libc.closeQuietly(readEnd);
        if (script.length <= ALWAYS_FITS) {
            feed();
        } else {
            Thread.ofPlatform().name("upfleet-script-feed").daemon().start(this::feed);
        }
    }

    /** The spawn failed. */
    void abandon() {
        Libc.closeQuietly(readEnd);
        Libc.closeQuietly(writeEnd);
    }

    private void feed() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = arena.allocateFrom(ValueLayout.JAVA_BYTE, script);
            long written = 0;
            while (written < script.length) {
                try {
                    written += Libc.write(writeEnd, buffer.asSlice(written), script.length - written);
                } catch (LibcException e) {
                    if (e.errno() != Libc.EINTR) {
                        return; // EPIPE: the shell ended before reading it all, and runs no more of it
                    }
                }
            }
        } finally {
            Libc.closeQuietly(writeEnd);
        }
    }
}
