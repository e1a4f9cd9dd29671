package dev.upfleet.agent.engine;

/**
 * The engine's only way to touch processes. Implementations report what happens to the processes they started
 * through the {@link ProcessObserver} given at construction; the engine owner thread receives those reports as posted
 * inputs, never concurrently with a transition.
 *
 * <p>Called only from the engine thread.
 */
public interface ProcessLauncher {

    /**
     * Starts the process in its own session (so it leads its own process group) with every attribute of the request
     * in place before the job's program runs. Returns its pid.
     *
     * <p>For {@code expect fork}/{@code expect daemon} main processes the launcher follows the forks and reports the
     * final daemon through {@link ProcessObserver#mainPidResolved}; the exits of the intermediate processes are not
     * reported. For {@code expect stop} it reports {@link ProcessObserver#stopped} when the process raises SIGSTOP
     * (and the engine then calls {@link #signal} with SIGCONT).
     */
    long spawn(SpawnRequest request) throws SpawnException;

    /** Sends a signal to the process ({@code group} false) or to its whole process group ({@code group} true). */
    void signal(long pid, int signal, boolean group);

    /**
     * Upstart's {@code apparmor_available}, asked each time a job with {@code apparmor load} starts: the AppArmor
     * parser to load its profile with ({@code PARSER -r -W PROFILE}, the job's security process), or empty when
     * AppArmor is not enabled here, and the job skips its security state.
     */
    default java.util.Optional<String> appArmorParser() {
        return java.util.Optional.empty();
    }

    /** Reports to the engine what happens to spawned processes. Implementations must be thread-safe. */
    interface ProcessObserver {
        /** A process the launcher started (or the followed daemon) ended. Reported exactly once per pid. */
        void exited(long pid, ExitStatus status);

        /** An {@code expect stop} main process stopped itself with SIGSTOP. */
        void stopped(long pid);

        /** An {@code expect fork/daemon} main process {@code spawnedPid} has forked (once or twice): {@code mainPid} is the daemon. */
        void mainPidResolved(long spawnedPid, long mainPid);

        /**
         * A process that is not the launcher's child (re-adopted after an agent restart and watched by pid) is gone.
         * Its exit status cannot be known; the engine treats this like an exit it did not see the status of.
         */
        default void lostTrack(long pid) {}
    }
}
