package dev.upfleet.cli.initctl;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * libnih-style command line parsing, as Upstart's initctl does it: global options may come before the command;
 * after it, the command's own options and the globals mix freely with arguments until {@code --}. Short options
 * bundle ({@code -qn}); an option's argument is {@code --opt=ARG}, {@code --opt ARG}, {@code -oARG} or {@code -o ARG}.
 * Errors use nih's texts ({@code invalid option: -r}, {@code missing argument: --socket}).
 */
final class ArgParser {

    /** One accepted option; {@code key} is what ends up in {@link Invocation#options()}. */
    record Opt(char shortName, String longName, boolean takesArg) {
        String key() {
            return longName;
        }
    }

    /** The parsed command line; flags map to {@code ""}, valued options to their last value. */
    record Invocation(Map<String, String> options, String command, List<String> args) {
        boolean has(String key) {
            return options.containsKey(key);
        }

        String value(String key) {
            return options.get(key);
        }
    }

    /** A usage error: printed as {@code PROG: MESSAGE} and the {@code --help} hint, exit 1. */
    static final class UsageError extends Exception {
        UsageError(String message) {
            super(message, null, false, false);
        }
    }

    static final List<Opt> GLOBAL = List.of(
            new Opt('\0', "socket", true),
            new Opt('\0', "session", false),
            new Opt('\0', "system", false),
            new Opt('\0', "dest", true),
            new Opt('\0', "user", false),
            new Opt('q', "quiet", false),
            new Opt('v', "verbose", false),
            new Opt('\0', "debug", false), // libnih's hidden default option: more log output, nothing else here
            new Opt('\0', "help", false),
            new Opt('\0', "version", false));

    private static final Opt NO_WAIT = new Opt('n', "no-wait", false);
    private static final Opt GLOBAL_ENV = new Opt('g', "global", false);
    /** Cluster options: a job on another node, or every node's. */
    private static final Opt NODE = new Opt('\0', "node", true);
    private static final Opt CLUSTER = new Opt('\0', "cluster", false);

    /** Options of each command; a command missing here is unknown. */
    static final Map<String, List<Opt>> COMMANDS = Map.ofEntries(
            Map.entry("start", List.of(NO_WAIT, NODE)),
            Map.entry("stop", List.of(NO_WAIT, NODE)),
            Map.entry("restart", List.of(NO_WAIT, NODE)),
            Map.entry("reload", List.of()),
            Map.entry("status", List.of(NODE, CLUSTER)),
            Map.entry("list", List.of(CLUSTER)),
            Map.entry("emit", List.of(NO_WAIT, CLUSTER, new Opt('\0', "nodes", true))),
            Map.entry("submit", List.of()),
            Map.entry("withdraw", List.of()),
            Map.entry("nodes", List.of()),
            Map.entry("jobs", List.of()),
            Map.entry("reload-configuration", List.of()),
            Map.entry("version", List.of()),
            Map.entry("log-priority", List.of()),
            Map.entry("show-config", List.of(new Opt('e', "enumerate", false))),
            Map.entry("check-config", List.of(new Opt('i', "ignore-events", true), new Opt('w', "warn", false))),
            Map.entry("usage", List.of()),
            Map.entry("list-env", List.of(GLOBAL_ENV)),
            Map.entry("get-env", List.of(GLOBAL_ENV)),
            Map.entry("set-env", List.of(GLOBAL_ENV, new Opt('r', "retain", false))),
            Map.entry("unset-env", List.of(GLOBAL_ENV)),
            Map.entry("reset-env", List.of(GLOBAL_ENV)),
            Map.entry("monitor", List.of(CLUSTER)),
            Map.entry("list-sessions", List.of()),
            Map.entry("notify-disk-writeable", List.of()),
            Map.entry("notify-dbus-address", List.of()),
            Map.entry("notify-cgroup-manager-address", List.of()),
            Map.entry("help", List.of()));

    private ArgParser() {}

    static Invocation parse(String[] argv) throws UsageError {
        Scan scan = new Scan(argv);
        Map<String, String> options = new HashMap<>();
        List<String> args = new ArrayList<>();
        String command = null;
        List<Opt> accepted = GLOBAL;
        for (int i = 0; i < argv.length; i++) {
            String a = argv[i];
            if (scan.consumed[i]) {
                continue; // an option's argument
            }
            if (i > scan.optionsEnd || a.length() < 2 || a.charAt(0) != '-') {
                if (command == null) {
                    command = a;
                    List<Opt> own = COMMANDS.get(command);
                    if (own == null) {
                        throw new UsageError("invalid command: " + command);
                    }
                    accepted = concat(GLOBAL, own);
                } else {
                    args.add(a);
                }
            } else if (a.equals("--")) {
                scan.optionsEnd = i;
            } else if (a.startsWith("--")) {
                longOption(scan, i, accepted, options);
            } else {
                shortOptions(scan, i, accepted, options);
            }
            if (options.containsKey("help") || options.containsKey("version")) {
                break; // nih acts on these at once, whatever follows
            }
        }
        return new Invocation(options, command, List.copyOf(args));
    }

    /**
     * The command line being parsed: which arguments options have taken as their values, and where {@code --} ended
     * the options. As in nih, an option whose value is not attached takes the next argument that is not an option
     * (options in between are still parsed as options), so {@code -i -w EVENTS} gives {@code -i} the value EVENTS.
     */
    private static final class Scan {
        final String[] argv;
        final boolean[] consumed;
        int optionsEnd = Integer.MAX_VALUE;

        Scan(String[] argv) {
            this.argv = argv;
            this.consumed = new boolean[argv.length];
        }

        /** The value for the option at {@code i}, taken from a later argument; the error names the option as typed. */
        String nextNonOption(int i) throws UsageError {
            for (int j = i + 1; j < argv.length; j++) {
                String a = argv[j];
                if (consumed[j]) {
                    continue;
                }
                if (j > optionsEnd || !a.startsWith("-")) {
                    consumed[j] = true;
                    return a;
                }
                if (a.equals("--")) {
                    optionsEnd = j;
                }
            }
            throw new UsageError("missing argument: " + argv[i]);
        }
    }

    private static void longOption(Scan scan, int i, List<Opt> accepted, Map<String, String> options)
            throws UsageError {
        String a = scan.argv[i];
        int eq = a.indexOf('=');
        String name = eq < 0 ? a.substring(2) : a.substring(2, eq);
        Opt opt = find(accepted, '\0', name);
        if (opt == null) {
            throw new UsageError("invalid option: " + a); // nih names the whole argument, any =VALUE included
        }
        if (!opt.takesArg()) {
            if (eq >= 0) {
                throw new UsageError("unexpected argument: " + a);
            }
            options.put(opt.key(), "");
        } else {
            options.put(opt.key(), eq >= 0 ? a.substring(eq + 1) : scan.nextNonOption(i));
        }
    }

    /** A bundle of short options; only the first may take the rest of the bundle as its value. */
    private static void shortOptions(Scan scan, int i, List<Opt> accepted, Map<String, String> options)
            throws UsageError {
        String a = scan.argv[i];
        for (int j = 1; j < a.length(); j++) {
            char c = a.charAt(j);
            Opt opt = find(accepted, c, null);
            if (opt == null) {
                throw new UsageError("invalid option: -" + c);
            }
            if (!opt.takesArg()) {
                options.put(opt.key(), "");
            } else if (j == 1 && a.length() > 2) {
                options.put(opt.key(), a.substring(2));
                return;
            } else {
                options.put(opt.key(), scan.nextNonOption(i));
            }
        }
    }

    /** The option with this short name, or (when {@code longName} is not null) this long name; null if none. */
    private static Opt find(List<Opt> accepted, char shortName, String longName) {
        for (Opt o : accepted) { // a loop, not a stream: lambdas cost initctl start-up time
            if (longName != null ? o.longName().equals(longName) : o.shortName() == shortName) {
                return o;
            }
        }
        return null;
    }

    private static List<Opt> concat(List<Opt> a, List<Opt> b) {
        List<Opt> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }
}
