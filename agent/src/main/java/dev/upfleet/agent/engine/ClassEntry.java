package dev.upfleet.agent.engine;

import dev.upfleet.core.job.JobClass;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

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
    /**
     * The file was deleted: drop the class when no instance is left. Until then it is still registered, as in Upstart
     * (a class with instances cannot be removed), so its start on and initctl start still make new instances.
     */
    boolean deleted;
    /**
     * Every event name this entry's start on, or the stop on of any of its instances, can react to. Exact: instances
     * are created with {@link #definition}, and a new definition is installed only when no instance is left (a
     * {@link #replacement} waits until then). The engine's event index is built from it.
     */
    final Set<String> eventNames = new HashSet<>();

    ClassEntry(JobClass definition) {
        install(definition);
    }

    /** Called only when no instance is left (or at creation): the names are exactly the new definition's. */
    void install(JobClass next) {
        eventNames.clear();
        addNames(next);
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

    static void addNames(Set<String> into, JobClass def) {
        def.startOn().ifPresent(e -> e.leaves().forEach(m -> into.add(m.name())));
        def.stopOn().ifPresent(e -> e.leaves().forEach(m -> into.add(m.name())));
    }

    private void addNames(JobClass def) {
        addNames(eventNames, def);
    }

    String name() {
        return definition.name();
    }
}
