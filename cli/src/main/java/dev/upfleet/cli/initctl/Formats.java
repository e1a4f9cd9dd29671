package dev.upfleet.cli.initctl;

import dev.upfleet.proto.control.v1.EventMessage;
import dev.upfleet.proto.control.v1.InstanceStatus;
import dev.upfleet.proto.control.v1.LiveProcess;

/** Upstart's text forms of a status (initctl.c {@code job_status}) and of a monitored event. */
final class Formats {
    private Formats() {}

    /**
     * {@code JOB[ (INSTANCE)] GOAL/STATE[, PROCESSINFO]} plus one TAB-indented line per further live process. The
     * first process is shown bare when it is main, pre-start or post-stop, otherwise with its kind in parentheses.
     */
    static String status(InstanceStatus s) {
        StringBuilder b = new StringBuilder(s.getJob());
        if (!s.getInstance().isEmpty()) {
            b.append(" (").append(s.getInstance()).append(')');
        }
        b.append(' ').append(s.getGoal()).append('/').append(s.getState());
        for (int i = 0; i < s.getProcessesCount(); i++) {
            LiveProcess p = s.getProcesses(i);
            if (i > 0) {
                b.append("\n\t").append(p.getKind()).append(" process ").append(p.getPid());
            } else if (p.getKind().equals("main") || p.getKind().equals("pre-start") || p.getKind().equals("post-stop")) {
                b.append(", process ").append(p.getPid());
            } else {
                b.append(", (").append(p.getKind()).append(") process ").append(p.getPid());
            }
        }
        return b.toString();
    }

    /** {@code NAME KEY=VALUE ...}: one line per event, for people and for tools that split on spaces. */
    static String event(EventMessage e) {
        StringBuilder b = new StringBuilder(e.getName());
        for (String kv : e.getEnvList()) {
            b.append(' ').append(kv);
        }
        return b.toString();
    }
}
