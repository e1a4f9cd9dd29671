package dev.upfleet.agent.state;

import dev.upfleet.agent.engine.Engine;
import dev.upfleet.agent.engine.JobState;
import dev.upfleet.agent.process.PidWatcher;
import dev.upfleet.agent.process.ProcessIdentity;
import dev.upfleet.core.job.ProcessKind;
import dev.upfleet.core.job.Signals;
import dev.upfleet.proto.state.v1.InstanceRecord;
import dev.upfleet.proto.state.v1.ProcessRecord;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes back what a previous agent left running, as Upstart's stateful re-exec keeps its jobs: a running instance
 * whose main process is still the same process (pid and start time) is adopted as running and watched; an instance
 * caught mid-transition has its leftover processes killed and, if its goal was start, starts again. Runs on the engine
 * thread, after the configuration is loaded and before any event.
 */
public final class Readoption {
    private static final Logger LOG = LoggerFactory.getLogger("init");

    private Readoption() {}

    /**
     * @param signal sends a signal to a process group ({@code pid, signal})
     */
    public static void run(List<InstanceRecord> records, Engine engine, PidWatcher watcher, StateStore store,
                           BiConsumer<Long, Integer> signal) {
        for (InstanceRecord r : records) {
            Map<ProcessKind, Long> live = new EnumMap<>(ProcessKind.class);
            for (ProcessRecord p : r.getProcessesList()) {
                if (new ProcessIdentity(p.getPid(), p.getStartTime()).isAlive()) {
                    live.put(ProcessKind.fromWireName(p.getKind()), p.getPid());
                }
            }
            String name = r.getInstance().isEmpty() ? r.getJob() : r.getJob() + " (" + r.getInstance() + ")";
            boolean known = engine.hasClass(r.getJob());
            boolean running = JobState.fromWireName(r.getState()) == JobState.RUNNING && "start".equals(r.getGoal());
            Long main = live.get(ProcessKind.MAIN);
            if (known && running && (main != null || !hadMain(r))) {
                Map<ProcessKind, Long> adopted = main == null ? Map.of() : Map.of(ProcessKind.MAIN, main);
                if (engine.adopt(r.getJob(), r.getInstance(), r.getEnvList(), adopted)) {
                    if (main != null && !watcher.watch(new ProcessIdentity(main, startTime(r, main)))) {
                        engine.processExited(main, dev.upfleet.agent.engine.ExitStatus.unknown());
                    }
                    live.remove(ProcessKind.MAIN);
                    killAll(live, signal);
                    continue;
                }
            }
            store.forget(r.getJob(), r.getInstance());
            killAll(live, signal);
            // A service whose main process ended while no agent watched: only respawn would have started it again.
            boolean wanted = running ? engine.definition(r.getJob()).map(d -> d.respawn()).orElse(false)
                    : !"stop".equals(r.getGoal());
            if (known && wanted) {
                LOG.info("{} was {}/{} when the previous agent ended: starting it again", name, r.getGoal(), r.getState());
                engine.resume(r.getJob(), r.getInstance(), r.getEnvList());
            } else if (!live.isEmpty()) {
                LOG.info("{}: stopped processes left by the previous agent", name);
            }
        }
    }

    private static boolean hadMain(InstanceRecord r) {
        return r.getProcessesList().stream().anyMatch(p -> p.getKind().equals(ProcessKind.MAIN.wireName()));
    }

    private static long startTime(InstanceRecord r, long pid) {
        return r.getProcessesList().stream().filter(p -> p.getPid() == pid).findFirst()
                .map(ProcessRecord::getStartTime).orElse(0L);
    }

    private static void killAll(Map<ProcessKind, Long> live, BiConsumer<Long, Integer> signal) {
        for (long pid : live.values()) {
            signal.accept(pid, Signals.TERM);
        }
    }
}
