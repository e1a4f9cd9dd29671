package dev.upfleet.agent.control;

/** A refused control request; the message is Upstart's exact text (without the {@code initctl: } prefix). */
public final class ControlException extends RuntimeException {
    public ControlException(String message) {
        super(message, null, false, false);
    }
}
