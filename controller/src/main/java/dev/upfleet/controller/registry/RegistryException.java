package dev.upfleet.controller.registry;

/** The store could not answer (unavailable, timed out, no leader); the operation may be retried. */
public final class RegistryException extends RuntimeException {
    public RegistryException(String message, Throwable cause) {
        super(message, cause);
    }

    public RegistryException(String message) {
        super(message);
    }
}
