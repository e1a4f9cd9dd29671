package dev.upfleet.agent.process;

import java.io.IOException;

/**
 * A libc call failed: carries the call's name and its errno, and the message reads {@code call: strerror}.
 *
 * <p>Cheap to throw: no stack trace (the call's name says where) and the message is only built when read. Expected
 * errnos are control flow on busy paths (EIO when a job's pty closes, ECHILD when the reaper runs dry: a thousand of
 * each when a thousand jobs stop).
 */
public final class LibcException extends IOException {
    private final String call;
    private final int errno;

    public LibcException(String call, int errno) {
        this.call = call;
        this.errno = errno;
    }

    public int errno() {
        return errno;
    }

    @Override
    public String getMessage() {
        return call + ": " + Libc.strerror(errno);
    }

    @Override
    public synchronized Throwable fillInStackTrace() {
        return this;
    }
}
