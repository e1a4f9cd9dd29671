package dev.upfleet.agent.process;

/**
 * One pty made ahead of the {@code console log} spawn that will need it. Opening {@code /dev/ptmx} is the dearest
 * step of a spawn's set-up (the kernel allocates and initializes a tty pair, about 0.1 ms), and it sat between a
 * service's death and its respawn. The launcher takes the spare for a spawn and makes the next one after the child
 * has been started, where the cost no longer delays it. Thread-safe.
 */
final class PtySpare implements AutoCloseable {
    private static final int FLAGS = Libc.O_RDWR | Libc.O_NOCTTY | Libc.O_CLOEXEC;

    /** A pty pair: the master, logged by the parent, and the slave, the child's output. */
    record Pair(int master, int slave) {}

    private Pair spare;
    private boolean closed;

    /** The spare pair, or a new one when there is none. Throws when no pty can be made (kernel.pty.max). */
    synchronized Pair take() throws LibcException {
        Pair p = spare;
        spare = null;
        return p != null ? p : open();
    }

    /** Makes the next spare when there is none; a failure is left to the next {@link #take}, which reports it. */
    synchronized void refill() {
        if (spare != null || closed) {
            return;
        }
        try {
            spare = open();
        } catch (LibcException e) {
            // out of ptys or descriptors now: take() tries again, and falls back to a pipe as before
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (spare != null) {
            Libc.closeQuietly(spare.slave());
            Libc.closeQuietly(spare.master());
            spare = null;
        }
    }

    private static Pair open() throws LibcException {
        int master = Libc.posixOpenpt(FLAGS);
        try {
            Libc.grantpt(master);
            Libc.unlockpt(master);
            return new Pair(master, openSlave(master));
        } catch (LibcException e) {
            Libc.closeQuietly(master);
            throw e;
        }
    }

    /** Through the master (two native calls and a path lookup fewer), else, before Linux 4.13, by name. */
    private static int openSlave(int master) throws LibcException {
        try {
            return Libc.openPtyPeer(master, FLAGS);
        } catch (LibcException e) {
            return Libc.open(Libc.ptsname(master), FLAGS, 0); // EINVAL/ENOTTY: no TIOCGPTPEER here
        }
    }
}
