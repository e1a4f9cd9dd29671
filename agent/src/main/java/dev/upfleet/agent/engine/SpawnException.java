package dev.upfleet.agent.engine;

/**
 * A process could not be started (missing binary, unknown setuid user, bad chdir...). The message is the part after
 * {@code Failed to spawn JOB main process: }, e.g. {@code unable to execute: No such file or directory}.
 */
public final class SpawnException extends Exception {
    public SpawnException(String message) {
        super(message);
    }

    public SpawnException(String message, Throwable cause) {
        super(message, cause);
    }
}
