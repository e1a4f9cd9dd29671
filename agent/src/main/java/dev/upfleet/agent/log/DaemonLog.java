package dev.upfleet.agent.log;

import java.io.PrintStream;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.ILoggerFactory;
import org.slf4j.IMarkerFactory;
import org.slf4j.Logger;
import org.slf4j.Marker;
import org.slf4j.event.Level;
import org.slf4j.helpers.BasicMarkerFactory;
import org.slf4j.helpers.LegacyAbstractLogger;
import org.slf4j.helpers.MessageFormatter;
import org.slf4j.helpers.NOPMDCAdapter;
import org.slf4j.spi.MDCAdapter;
import org.slf4j.spi.SLF4JServiceProvider;

/**
 * The agent's daemon log: an SLF4J provider that writes {@code upfleet-agent: MESSAGE} lines (and stack traces) to
 * standard error, as Upstart's session init logs; journald adds the time under systemd. The root level comes from
 * {@code UPFLEET_LOG_LEVEL} (default INFO); Netty and gRPC log only warnings ({@code io.netty.bootstrap} only errors:
 * gRPC asks unix sockets for SO_KEEPALIVE, which they lack, and Netty would warn once per connection).
 *
 * <p>It replaces Logback, whose XML configuration alone took about half a second of the agent's start-up (most of
 * it interpreted code, before the first job could start). {@link dev.upfleet.agent.AgentMain} names it in the
 * {@code slf4j.provider} system property, so SLF4J does not scan the class path for providers. Thread-safe: one
 * {@code print} per record on {@link System#err}, except on a thread that {@linkplain #holdLines holds its lines}.
 */
public final class DaemonLog implements SLF4JServiceProvider, ILoggerFactory {
    /** The SLF4J API version this provider is written against. */
    public static final String REQUESTED_API_VERSION = "2.0.99";
    private static final String PREFIX = "upfleet-agent: ";
    /** Loggers below a root level of their own: the most specific prefix wins, as in a Logback configuration. */
    private static final Map<String, Level> LIMITS = Map.of("io.grpc", Level.WARN, "io.netty", Level.WARN,
            "io.netty.bootstrap", Level.ERROR);

    /** Past this many held characters a thread's lines are written at once. */
    private static final int MAX_HELD = 64 * 1024;
    /** The lines a thread holds until {@link #flushHeld}; absent on threads that write each record at once. */
    private static final ThreadLocal<StringBuilder> HELD = new ThreadLocal<>();

    private final Map<String, Logger> loggers = new ConcurrentHashMap<>();
    private final IMarkerFactory markers = new BasicMarkerFactory();
    private final MDCAdapter mdc = new NOPMDCAdapter();
    private volatile Level root = Level.INFO;

    @Override
    public void initialize() {
        root = parseLevel(System.getenv("UPFLEET_LOG_LEVEL"), Level.INFO);
    }

    /** A level name as Logback reads it (any case; OFF disables everything); {@code fallback} when unknown. */
    static Level parseLevel(String name, Level fallback) {
        if (name == null || name.isBlank()) {
            return fallback;
        }
        String n = name.strip().toUpperCase(Locale.ROOT);
        if (n.equals("OFF")) {
            return null;
        }
        if (n.equals("ALL")) {
            return Level.TRACE;
        }
        try {
            return Level.valueOf(n);
        } catch (IllegalArgumentException e) {
            return fallback;
        }
    }

    /** The level of a logger: the most specific configured prefix of its name, else the root level. */
    Level levelOf(String name) {
        String n = name;
        while (true) {
            Level limit = LIMITS.get(n);
            if (limit != null) {
                return limit;
            }
            int dot = n.lastIndexOf('.');
            if (dot < 0) {
                return root;
            }
            n = n.substring(0, dot);
        }
    }

    @Override
    public Logger getLogger(String name) {
        return loggers.computeIfAbsent(name, n -> new StderrLogger(n, levelOf(n)));
    }

    @Override
    public ILoggerFactory getLoggerFactory() {
        return this;
    }

    @Override
    public IMarkerFactory getMarkerFactory() {
        return markers;
    }

    @Override
    public MDCAdapter getMDCAdapter() {
        return mdc;
    }

    @Override
    public String getRequestedApiVersion() {
        return REQUESTED_API_VERSION;
    }

    /**
     * From now on the calling thread's records wait in memory until it calls {@link #flushHeld} (or holds more than
     * {@value #MAX_HELD} characters, or logs an error). The engine thread holds its lines for one batch of tasks: when
     * 1000 jobs stop, their 1000 "killed by TERM signal" lines cost a few writes instead of 1000.
     */
    public static void holdLines() {
        if (HELD.get() == null) {
            HELD.set(new StringBuilder());
        }
    }

    /** Writes the lines the calling thread holds, if any, and from now on writes each record at once again. */
    public static void releaseLines() {
        flushHeld();
        HELD.remove();
    }

    /** Writes the lines the calling thread holds, if any. */
    public static void flushHeld() {
        StringBuilder held = HELD.get();
        if (held != null && !held.isEmpty()) {
            write(held.toString());
            held.setLength(0);
        }
    }

    private static void write(String text) {
        PrintStream err = System.err;
        err.print(text);
        err.flush();
    }

    /** One line per record: {@code upfleet-agent: } and the formatted message, then the stack trace if any. */
    static String render(String message, Object[] args, Throwable thrown) {
        String text = args == null || args.length == 0 ? message : MessageFormatter.basicArrayFormat(message, args);
        if (thrown == null) {
            return PREFIX + text + System.lineSeparator();
        }
        java.io.StringWriter out = new java.io.StringWriter();
        out.append(PREFIX).append(text).append(System.lineSeparator());
        thrown.printStackTrace(new java.io.PrintWriter(out, true));
        return out.toString();
    }

    private static final class StderrLogger extends LegacyAbstractLogger {
        /** The lowest level written (TRACE=0 .. ERROR=40), or Integer.MAX_VALUE for OFF. */
        private final int threshold;

        StderrLogger(String name, Level level) {
            this.name = name;
            this.threshold = level == null ? Integer.MAX_VALUE : level.toInt();
        }

        @Override
        public boolean isTraceEnabled() {
            return threshold <= Level.TRACE.toInt();
        }

        @Override
        public boolean isDebugEnabled() {
            return threshold <= Level.DEBUG.toInt();
        }

        @Override
        public boolean isInfoEnabled() {
            return threshold <= Level.INFO.toInt();
        }

        @Override
        public boolean isWarnEnabled() {
            return threshold <= Level.WARN.toInt();
        }

        @Override
        public boolean isErrorEnabled() {
            return threshold <= Level.ERROR.toInt();
        }

        @Override
        protected String getFullyQualifiedCallerName() {
            return null;
        }

        @Override
        protected void handleNormalizedLoggingCall(Level level, Marker marker, String message, Object[] args,
                                                   Throwable thrown) {
            String text = render(message, args, thrown);
            StringBuilder held = HELD.get();
            if (held == null) {
                write(text);
                return;
            }
            held.append(text);
            if (held.length() > MAX_HELD || thrown != null || level == Level.ERROR) {
                flushHeld();
            }
        }
    }
}
