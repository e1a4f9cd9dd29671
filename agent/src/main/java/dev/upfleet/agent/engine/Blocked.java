package dev.upfleet.agent.engine;

import java.util.function.Consumer;

/** Something a job holds until it settles: an event it was started or stopped by, or a waiting command's reply. */
sealed interface Blocked {
    /** Releases the hold; {@code failed} marks the event failed or makes the command report failure. */
    void release(boolean failed);

    record OnEvent(EventRecord event) implements Blocked {
        @Override
        public void release(boolean failed) {
            if (failed) {
                event.failed = true;
            }
            event.unblock();
        }
    }

    record OnCommand(Consumer<Boolean> reply) implements Blocked {
        @Override
        public void release(boolean failed) {
            reply.accept(failed);
        }
    }
}
