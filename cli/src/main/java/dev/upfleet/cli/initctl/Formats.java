package dev.upfleet.cli.initctl;

import dev.upfleet.cli.initctl.lean.ControlMessages.InstanceStatus;
import dev.upfleet.cli.initctl.lean.ControlMessages.LiveProcess;
import java.util.List;

/** Upstart's text form of a status (initctl.c {@code job_status}). */
final class Formats {
    private Formats() {}

    /**
     * {@code JOB[ (INSTANCE)] GOAL/STATE[, PROCESSINFO]} plus one TAB-indented line per further live process. The
     * first process is shown bare when it is main, pre-start or post-stop, otherwise with its kind in parentheses.
     */
    static String status(InstanceStatus s) {
        StringBuilder b = new StringBuilder(s.job());
        if (!s.instance().isEmpty()) {
            b.append(" (").append(s.instance()).append(')');
        }
        b.append(' ').append(s.goal()).append('/').append(s.state());
        List<LiveProcess> processes = s.processes();
        for (int i = 0; i < processes.size(); i++) {
            LiveProcess p = processes.get(i);
            if (i > 0) {
                b.append("\n\t").append(p.kind()).append(" process ").append(p.pid());
            } else if (p.kind().equals("main") || p.kind().equals("pre-start") || p.kind().equals("post-stop")) {
                b.append(", process ").append(p.pid());
            } else {
                b.append(", (").append(p.kind()).append(") process ").append(p.pid());
            }
        }
        return b.toString();
    }
}
