package dev.upfleet.cli.initctl;

/** The texts of {@code --help}, {@code --version} and {@code help}, after Upstart's (libnih's) layout. */
final class HelpText {
    private HelpText() {}

    static String help(String prog) {
        return """
                Usage: %1$s [OPTION]... COMMAND [OPTION]... ARG...

                Options:
                      --socket=PATH           talk to the upfleet agent at PATH (default: $UPFLEET_SOCKET,
                                                then /run/upfleet/agent.sock)
                      --session               use D-Bus session bus to connect to init daemon (for testing)
                      --system                use D-Bus system bus to connect to init daemon
                      --dest=NAME             destination well-known name on D-Bus bus
                      --user                  start in user mode (as used for user sessions)
                  -q, --quiet                 reduce output to errors only
                  -v, --verbose               increase output to include informational messages
                      --help                  display this help and exit
                      --version               output version information and exit

                For a list of commands, try `%1$s help'.

                Report bugs to <upstart-devel@lists.ubuntu.com>
                """.formatted(prog);
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
        return """
                Job commands:
                  start                       Start job.
                  stop                        Stop job.
                  restart                     Restart job.
                  reload                      Send HUP signal to job.
                  status                      Query status of job.
                  list                        List known jobs.

                Event commands:
                  emit                        Emit an event.

                Environment commands:
                  get-env                     Retrieve value of a job environment variable.
                  list-env                    Show all job environment variables.
                  reset-env                   Revert all job environment variable changes.
                  set-env                     Set a job environment variable.
                  unset-env                   Remove a job environment variable.

                Other commands:
                  check-config                Check for unreachable jobs/event conditions.
                  help                        display list of commands
                  list-sessions               List all sessions.
                  log-priority                Change the minimum priority of log messages from the init daemon
                  monitor                     Show events as they are emitted.
                  notify-cgroup-manager-address
                                              Inform Upstart of D-Bus address cgroup manager is available on
                  notify-dbus-address         Inform Upstart of D-Bus address to connect to
                  notify-disk-writeable       Inform Upstart that disk is now writeable.
                  reload-configuration        Reload the configuration of the init daemon.
                  show-config                 Show emits, start on and stop on details for job configurations.
                  usage                       Show job usage message if available.
                  version                     Request the version of the init daemon.

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
                """;
    }
}
