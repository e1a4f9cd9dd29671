package dev.upfleet.cli.initctl;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The texts of {@code --help}, {@code --version} and {@code help}, after Upstart's (libnih's) layout. */
final class HelpText {
    private HelpText() {}

    /** The global options as libnih lists them (ours, initctl's, then its defaults); each line ends with LF. */
    private static final String GLOBAL_OPTIONS = """
                  --socket=PATH           talk to the upfleet agent at PATH (default: $UPFLEET_SOCKET,
                                            then /run/upfleet/agent.sock)
                  --session               use D-Bus session bus to connect to init daemon (for testing)
                  --system                use D-Bus system bus to connect to init daemon
                  --dest=NAME             destination well-known name on D-Bus bus
                  --user                  run in user mode (as used for user sessions)
              -q, --quiet                 reduce output to errors only
              -v, --verbose               increase output to include informational messages
                  --help                  display this help and exit
                  --version               output version information and exit
            """;

    private static final String BUGS = "Report bugs to <upstart-devel@lists.ubuntu.com>\n";

    /** {@code initctl --help}: nih_command_parser's usage ({@code COMMAND [OPTION]... [ARG]...}) and footer. */
    static String help(String prog) {
        return "Usage: " + prog + " [OPTION]... COMMAND [OPTION]... [ARG]...\n\nOptions:\n" + GLOBAL_OPTIONS + "\n"
                + "For a list of commands, try `" + prog + " help'.\n\n" + BUGS;
    }

    /** What {@code COMMAND --help} shows of a command: the arguments after {@code [OPTION]...}, and the synopsis. */
    record CommandText(String usage, String synopsis) {}

    /** Upstart's commands in initctl's groups and order, as {@code help} lists them. */
    private static final Map<String, Map<String, CommandText>> GROUPS = groups();

    private static Map<String, Map<String, CommandText>> groups() {
        Map<String, Map<String, CommandText>> g = new LinkedHashMap<>();
        Map<String, CommandText> job = new LinkedHashMap<>();
        job.put("start", new CommandText("JOB [KEY=VALUE]...", "Start job."));
        job.put("stop", new CommandText("JOB [KEY=VALUE]...", "Stop job."));
        job.put("restart", new CommandText("JOB [KEY=VALUE]...", "Restart job."));
        job.put("reload", new CommandText("JOB [KEY=VALUE]...", "Send HUP signal to job."));
        job.put("status", new CommandText("JOB [KEY=VALUE]...", "Query status of job."));
        job.put("list", new CommandText(null, "List known jobs."));
        g.put("Job", job);
        g.put("Event", Map.of("emit", new CommandText("EVENT [KEY=VALUE]...", "Emit an event.")));
        Map<String, CommandText> env = new LinkedHashMap<>();
        env.put("get-env", new CommandText("VARIABLE", "Retrieve value of a job environment variable."));
        env.put("list-env", new CommandText(null, "Show all job environment variables."));
        env.put("reset-env", new CommandText(null, "Revert all job environment variable changes."));
        env.put("set-env", new CommandText("VARIABLE[=VALUE]", "Set a job environment variable."));
        env.put("unset-env", new CommandText("VARIABLE", "Remove a job environment variable."));
        g.put("Environment", env);
        Map<String, CommandText> other = new LinkedHashMap<>();
        other.put("check-config", new CommandText("[CONF]", "Check for unreachable jobs/event conditions."));
        other.put("help", new CommandText(null, "display list of commands"));
        other.put("list-sessions", new CommandText(null, "List all sessions."));
        other.put("log-priority", new CommandText("[PRIORITY]",
                "Change the minimum priority of log messages from the init daemon"));
        other.put("monitor", new CommandText(null, "Show events as they are emitted."));
        other.put("notify-cgroup-manager-address", new CommandText("ADDRESS",
                "Inform Upstart of D-Bus address cgroup manager is available on"));
        other.put("notify-dbus-address", new CommandText("ADDRESS", "Inform Upstart of D-Bus address to connect to"));
        other.put("notify-disk-writeable", new CommandText(null, "Inform Upstart that disk is now writeable."));
        other.put("reload-configuration", new CommandText(null, "Reload the configuration of the init daemon."));
        other.put("show-config", new CommandText("[CONF]",
                "Show emits, start on and stop on details for job configurations."));
        other.put("usage", new CommandText("JOB", "Show job usage message if available."));
        other.put("version", new CommandText(null, "Request the version of the init daemon."));
        g.put("Other", other);
        return g;
    }

    /** The descriptions of the commands' own options, by long name ({@code --no-wait}'s names what it waits for). */
    private static final Map<String, String> OPTION_HELP = Map.of(
            "enumerate", "enumerate list of events and jobs causing job created from job config to start/stop",
            "ignore-events", "ignore specified list of events (comma-separated)",
            "warn", "Generate warning for any unreachable events/jobs",
            "global", "apply to the global job environment table",
            "retain", "do not replace the value of the variable if already set",
            "node", "act on the job on node NODE (upfleet)",
            "cluster", "every node of the cluster (upfleet)",
            "nodes", "emit on the nodes SELECTOR picks (upfleet)");

    /** The names of option arguments, by long name. */
    private static final Map<String, String> ARG_NAMES = Map.of(
            "ignore-events", "EVENT_LIST", "node", "NODE", "nodes", "SELECTOR");

    private static String optionHelp(String command, String option) {
        if (option.equals("no-wait")) {
            return command.equals("emit") ? "do not wait for event to finish before exiting"
                    : "do not wait for job to " + command + " before exiting";
        }
        return OPTION_HELP.getOrDefault(option, "");
    }

    /**
     * {@code COMMAND --help}: libnih's layout, {@code Usage: PROG [OPTION]... USAGE} (with the command after PROG
     * when it was given as an argument rather than as the program name), the synopsis, the command's options and
     * then the global ones. Upstart's longer help paragraphs are not reproduced.
     */
    static String commandHelp(String prog, String command, boolean namedByProgram, List<ArgParser.Opt> options) {
        CommandText text = null;
        for (Map<String, CommandText> group : GROUPS.values()) {
            text = group.get(command);
            if (text != null) {
                break;
            }
        }
        StringBuilder b = new StringBuilder("Usage: ").append(prog);
        if (!namedByProgram) {
            b.append(' ').append(command);
        }
        b.append(" [OPTION]...");
        if (text != null && text.usage() != null) {
            b.append(' ').append(text.usage());
        }
        b.append('\n');
        if (text != null) {
            b.append(text.synopsis()).append('\n');
        }
        b.append("\nOptions:\n");
        for (ArgParser.Opt o : options) {
            String name = (o.shortName() != '\0' ? "  -" + o.shortName() + ", " : "      ") + "--" + o.longName()
                    + (o.takesArg() ? "=" + ARG_NAMES.getOrDefault(o.longName(), "ARG") : "");
            b.append(column(name, optionHelp(command, o.longName())));
        }
        return b.append(GLOBAL_OPTIONS).append('\n').append(BUGS).toString();
    }

    /** One option line: the name, then its description from column 30 (on the next line when the name is longer). */
    private static String column(String name, String description) {
        return name.length() > 28 ? name + "\n" + " ".repeat(30) + description + "\n"
                : name + " ".repeat(30 - name.length()) + description + "\n";
    }

    static String version(String prog) {
        return """
                %s (upstart 1.13.2)
                Copyright (C) 2006-2014 Canonical Ltd., 2011 Scott James Remnant

                This is free software; see the source for copying conditions.  There is NO warranty;
                not even for MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.
                """.formatted(prog);
    }

    static String commands() {
        StringBuilder b = new StringBuilder();
        for (Map.Entry<String, Map<String, CommandText>> group : GROUPS.entrySet()) {
            b.append(group.getKey()).append(" commands:\n");
            for (Map.Entry<String, CommandText> c : group.getValue().entrySet()) {
                b.append(column("  " + c.getKey(), c.getValue().synopsis()));
            }
            b.append('\n');
        }
        return b.append("""
                Cluster commands (upfleet; through this node's agent and its controller):
                  emit --cluster EVENT [K=V]...       Emit EVENT on every node (ORIGIN_NODE names this one).
                  emit --nodes SELECTOR EVENT [K=V]... Emit on the nodes SELECTOR picks (glob or LABEL=VALUE).
                  submit FILE.conf...         Store job definitions in the cluster (their nodes stanza selects nodes).
                  withdraw JOB...             Remove replicated job definitions.
                  jobs                        List the replicated job definitions.
                  nodes                       List the cluster's nodes and their labels.
                  monitor --cluster           Show relayed events as they are stored.
                  list --cluster              List every node's jobs and their states (NODE: JOB GOAL/STATE).
                  status --cluster JOB        Show JOB's status on every node that has it.
                  start|stop|restart|status --node NODE JOB [K=V]...
                                              Act on JOB on node NODE, as initctl there would.

                For more information on a command, try `initctl COMMAND --help'.
                """).toString();
    }
}
