package dev.upfleet.bench;

import dev.upfleet.core.parse.JobParser;
import dev.upfleet.core.parse.ParseResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.Blackhole;

/** Job-file parse throughput: one realistic 40-line job in memory, and a directory of 1,000 generated jobs on disk. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class ParseBenchmark {
    /** A realistic service: documentation, events over two lines, resources, scripts with indentation. */
    static final String REALISTIC = """
            # network service, restarted when it dies
            description "network service"
            author "Ops Team <ops@example.com>"
            version 1.4.2
            usage "start netsvc [PORT=N]"

            start on (local-filesystems and net-device-up IFACE!=lo
                      and started dbus)           # wait for dbus too
            stop on runlevel [!2345] or stopping network-manager

            emits netsvc-ready netsvc-*
            env CONF=/etc/netsvc.conf
            env PORT=8080
            env OPTS="--verbose --log-level=info"
            export PORT

            respawn
            respawn limit 5 60
            normal exit 0 TERM SIGHUP
            kill timeout 20
            kill signal SIGINT
            expect fork
            console log
            umask 027
            nice -5
            oom score -500
            limit nofile 4096 8192
            limit core unlimited unlimited

            pre-start script
                test -x /usr/sbin/netsvc || { stop; exit 0; }
                mkdir -p /run/netsvc
                chown netsvc:netsvc /run/netsvc
            end script

            exec /usr/sbin/netsvc -c $CONF --port $PORT \\
                $OPTS

            post-stop exec rm -rf /run/netsvc
            """;

    private Path dir;
    private List<Path> files;

    @Setup(Level.Trial)
    public void generate() throws IOException {
        dir = Files.createTempDirectory("upfleet-bench");
        files = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            Path sub = dir.resolve("group" + (i % 10));
            Files.createDirectories(sub);
            Path file = sub.resolve("job" + i + ".conf");
            Files.writeString(file, REALISTIC.replace("netsvc", "svc" + i));
            files.add(file);
        }
    }

    @TearDown(Level.Trial)
    public void cleanup() throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    @Benchmark
    public ParseResult parseRealisticJob() {
        return JobParser.parse("netsvc", "netsvc.conf", REALISTIC);
    }

    /** Reads and parses all 1,000 files (one op = the whole directory). */
    @Benchmark
    public void parseDirectoryOf1000Jobs(Blackhole bh) {
        for (Path file : files) {
            ParseResult r = JobParser.parseFile(dir, file);
            if (!(r instanceof ParseResult.Parsed)) {
                throw new IllegalStateException("generated job rejected: " + r);
            }
            bh.consume(r);
        }
    }
}
