package dev.upfleet.agent.process;

import dev.upfleet.agent.engine.ExitStatus;
import dev.upfleet.agent.engine.ProcessLauncher.ProcessObserver;
import dev.upfleet.core.job.Expect;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Which of our children we report on, and how {@code expect fork}/{@code expect daemon} are followed without ptrace.
 *
 * <p>Following: we are a child subreaper, so when a spawned process exits its children are re-parented to us before
 * we can reap it. Its forked child is found among our children by the {@code UPSTART_JOB}/{@code UPSTART_INSTANCE}
 * values in {@code /proc/PID/environ} (falling back to session/process group), never by guessing from pids, so jobs
 * that daemonize at the same time are told apart. {@code expect fork} takes that child. {@code expect daemon} needs a
 * second fork: the adopted child is <em>provisional</em> — when it exits (status 0) the process it forked
 * (re-parented to us in turn) is the daemon; if it is still running after the settle time, its oldest matching child
 * is the daemon if it has one, else it is taken as the daemon itself (its parent exited first and was reaped by the
 * spawned process, so the second fork already happened out of our sight). Without ptrace that last
 * case is the one place a timer decides; ptrace-exact fork counting is not attempted.
 *
 * <p>All state is guarded by {@code this}; observer callbacks are made under the lock so that for one job
 * {@code mainPidResolved} always precedes the daemon's {@code exited}.
 */
final class ChildTable {
    private enum Role { DIRECT, FOLLOW, PROVISIONAL, DAEMON }

    private record Entry(long pid, long reportAs, Role role, Expect expect, boolean reportStops, String job,
            String instance, long originStart) {
        Entry as(long newPid, Role newRole) {
            return new Entry(newPid, reportAs, newRole, expect, false, job, instance, originStart);
        }
    }

    private final ProcessObserver observer;
    private final long self;
    private final ScheduledExecutorService timers;
    private final long settleMillis;
    private final Map<Long, Entry> entries = new HashMap<>();

    ChildTable(ProcessObserver observer, long self, ScheduledExecutorService timers, long settleMillis) {
        this.observer = observer;
        this.self = self;
        this.timers = timers;
        this.settleMillis = settleMillis;
    }

    /** Called with the lock held across posix_spawn, so the reaper cannot look a fresh pid up before it is here. */
    void add(long pid, Expect expect, boolean main, String job, String instance) {
        boolean follow = main && (expect == Expect.FORK || expect == Expect.DAEMON);
        // Only followed processes need their start time (to rule out older processes of the same job).
        long start = follow ? ProcStat.read(pid).map(ProcStat::startTime).orElse(0L) : 0L;
        entries.put(pid, new Entry(pid, pid, follow ? Role.FOLLOW : Role.DIRECT, expect,
                main && expect == Expect.STOP, job, instance, start));
    }

    synchronized int size() {
        return entries.size();
    }

    synchronized boolean tracks(long pid) {
        return entries.containsKey(pid);
    }

    synchronized void onStopped(long pid) {
        Entry e = entries.get(pid);
        if (e != null && e.reportStops()) {
            entries.put(pid, e.as(pid, e.role())); // reported once: later stops are someone else's business
            observer.stopped(pid);
        }
    }

    /** A reaped child: report it, follow it, or (an adopted orphan nobody asked about) drop it silently. */
    synchronized void onExit(long pid, ExitStatus status) {
        Entry e = entries.remove(pid);
        if (e == null) {
            return;
        }
        switch (e.role()) {
            case DIRECT -> observer.exited(pid, status);
            case DAEMON -> observer.exited(pid, status);
            case FOLLOW -> {
                if (!status.success()) {
                    observer.exited(e.reportAs(), status);
                } else {
                    follow(e, e.expect() == Expect.FORK ? 1 : 2, status);
                }
            }
            case PROVISIONAL -> {
                if (!status.success()) {
                    observer.exited(e.reportAs(), status);
                } else {
                    follow(e, 1, status);
                }
            }
        }
    }

    private void follow(Entry e, int forks, ExitStatus status) {
        Optional<Long> child = oldest(candidates(e, self));
        if (child.isEmpty()) {
            observer.exited(e.reportAs(), status); // exited without leaving a descendant: that is the main exit
            return;
        }
        long c = child.get();
        if (forks == 1) {
            resolve(e, c);
            return;
        }
        // Not resolved at once even if c already has a matching child: a shell-built daemon often runs short-lived
        // children (sleep, echo) before its real fork, and those must not be taken for the daemon.
        entries.put(c, e.as(c, Role.PROVISIONAL));
        timers.schedule(() -> settle(c), settleMillis, TimeUnit.MILLISECONDS);
    }

    private synchronized void settle(long pid) {
        Entry e = entries.get(pid);
        if (e == null || e.role() != Role.PROVISIONAL) {
            return;
        }
        Optional<ProcStat> stat = ProcStat.read(pid);
        if (stat.isEmpty() || stat.get().zombie()) {
            return; // it exited: the reaper is about to handle it
        }
        Optional<Long> grandchild = oldest(candidates(e, pid));
        entries.remove(pid);
        resolve(e, grandchild.orElse(pid));
    }

    private void resolve(Entry e, long daemon) {
        entries.put(daemon, e.as(daemon, Role.DAEMON));
        observer.mainPidResolved(e.reportAs(), daemon);
    }

    /** Live children of {@code parent} that belong to e's job and were started after e's spawn. */
    private List<ProcStat> candidates(Entry e, long parent) {
        List<ProcStat> out = new ArrayList<>();
        for (long pid : ProcStat.children(parent)) {
            consider(e, pid, out);
        }
        if (out.isEmpty() && parent == self) {
            // task/*/children can miss a child that is being re-parented; a full scan cannot.
            for (long pid : allPids()) {
                ProcStat.read(pid).filter(s -> s.ppid() == self).ifPresent(s -> consider(e, s.pid(), out));
            }
        }
        return out;
    }

    private void consider(Entry e, long pid, List<ProcStat> out) {
        if (entries.containsKey(pid)) {
            return;
        }
        ProcStat.read(pid).filter(s -> !s.zombie() && s.startTime() >= e.originStart()).ifPresent(s -> {
            Map<String, String> env = ProcStat.environ(pid);
            boolean matches = e.job() != null
                    ? e.job().equals(env.get("UPSTART_JOB")) && e.instance().equals(env.getOrDefault("UPSTART_INSTANCE", ""))
                    : s.session() == e.reportAs() || s.pgrp() == e.reportAs();
            if (matches) {
                out.add(s);
            }
        });
    }

    private static Optional<Long> oldest(List<ProcStat> candidates) {
        return candidates.stream().min(Comparator.comparingLong(ProcStat::startTime).thenComparingLong(ProcStat::pid))
                .map(ProcStat::pid);
    }

    private static List<Long> allPids() {
        List<Long> pids = new ArrayList<>();
        try (var dir = Files.newDirectoryStream(Path.of("/proc"))) {
            for (Path p : dir) {
                String n = p.getFileName().toString();
                if (!n.isEmpty() && Character.isDigit(n.charAt(0))) {
                    pids.add(Long.parseLong(n));
                }
            }
        } catch (IOException | NumberFormatException ignored) {
            // /proc unreadable: no candidates
        }
        return pids;
    }
}
