package dev.upfleet.agent.engine;

import dev.upfleet.core.job.JobClass;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A job name's slot in the engine: the definition new instances get, the shared start-on state, the live instances,
 * and a definition waiting to replace the current one once its last instance has stopped (§1.4).
 */
final class ClassEntry {
    JobClass definition;
    ExprState startOn;
    final Map<String, Job> instances = new LinkedHashMap<>();
    /** A newer definition to install when no instance is left; null when none. */
    JobClass replacement;
    /** The file was deleted: drop the class when no instance is left. */
    boolean deleted;

    ClassEntry(JobClass definition) {
        install(definition);
    }

    void install(JobClass next) {
        if (startOn != null && next.startOn().equals(definition.startOn())) {
            // Same condition: keep the partial matches (Upstart carries them over so blocked events are not lost).
            definition = next;
            return;
        }
        if (startOn != null) {
            startOn.reset();
        }
        definition = next;
        startOn = next.startOn().map(ExprState::new).orElse(null);
    }

    String name() {
        return definition.name();
    }
}
