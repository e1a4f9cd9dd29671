package dev.upfleet.agent.process;

import java.io.IOException;

/** A libc call failed: carries the call's name and its errno, and the message reads {@code call: strerror}. */
public final class LibcException extends IOException {
    private final int errno;

    public LibcException(String call, int errno) {
        super(call + ": " + Libc.strerror(errno));
        this.errno = errno;
    }

    public int errno() {
        return errno;
    }
}
