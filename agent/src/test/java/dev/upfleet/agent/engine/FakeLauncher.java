package dev.upfleet.agent.engine;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Records spawns and signals as readable lines; tests end processes explicitly. */
final class FakeLauncher implements ProcessLauncher {
    final List<String> lines = new ArrayList<>();
    final Map<Long, SpawnRequest> live = new LinkedHashMap<>();
    /** Commands whose spawn fails (exec of a missing binary). */
    final List<String> failing = new ArrayList<>();
    /** What {@link #appArmorParser()} answers: AppArmor is off unless a test sets a parser. */
    java.util.Optional<String> appArmorParser = java.util.Optional.empty();
    private long nextPid = 100;

    @Override
    public java.util.Optional<String> appArmorParser() {
        return appArmorParser;
    }

    @Override
    public long spawn(SpawnRequest request) throws SpawnException {
        String label = "spawn " + request.job().name() + label(request.instance()) + " " + request.kind().wireName();
        if (failing.contains(request.command().text())) {
            lines.add(label + " FAILED");
            throw new SpawnException("unable to execute: No such file or directory");
        }
        long pid = nextPid++;
        live.put(pid, request);
        lines.add(label);
        return pid;
    }

    @Override
    public void signal(long pid, int signal, boolean group) {
        lines.add("signal " + pid + " " + dev.upfleet.core.job.Signals.toName(signal) + (group ? " group" : ""));
    }

    /** The pid of the live process of this job and kind. */
    long pid(String job, String kind) {
        for (var e : live.entrySet()) {
            if (e.getValue().job().name().equals(job) && e.getValue().kind().wireName().equals(kind)) {
                return e.getKey();
            }
        }
        throw new AssertionError("no live " + kind + " process of " + job + "; spawned: " + lines);
    }

    SpawnRequest request(String job, String kind) {
        return live.get(pid(job, kind));
    }

    private static String label(String instance) {
        return instance.isEmpty() ? "" : " (" + instance + ")";
    }
}
