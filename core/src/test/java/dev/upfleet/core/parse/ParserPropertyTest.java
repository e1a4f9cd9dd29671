package dev.upfleet.core.parse;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Whatever the text, the parser returns Parsed or Failed (never throws), quickly, and a failure's line lies within
 * the file (1 .. 1 + number of LFs). Inputs are random text and mutations of realistic job files, generated from
 * fixed seeds so that every run checks the same cases and a failure names the seed that reproduces it.
 */
class ParserPropertyTest {
    private static final List<String> SEEDS = List.of(
            """
            description "network service"
            start on (local-filesystems and net-device-up IFACE!=lo)
            stop on runlevel [!2345]
            respawn
            respawn limit 5 60
            normal exit 0 TERM
            kill timeout 20
            env CONF=/etc/netsvc.conf
            expect fork
            pre-start script
                test -x /usr/sbin/netsvc || { stop; exit 0; }
                mkdir -p /run/netsvc
            end script
            exec /usr/sbin/netsvc -c $CONF
            """,
            """
            start on (starting mountall or (runlevel [016] and (stopped gdm or stopped kdm A=B)))
            instance $TTY
            limit nofile 1024 unlimited
            oom score -500
            umask 027
            exec /sbin/getty -8 38400 "$TTY" \\
                --noclear # comment
            """,
            """
            author Jane\\ Doe
            version a\\$b
            emits foo-* bar
            export A B
            console output
            post-stop script
            \techo 'quoted # not a comment'
              end script
            manual exec /bin/true
            """);

    private static final int TRIES = 1500;
    private static final String NOISE = "\"'\\()#\n \tand or=!$a{}";
    private static final String TEXT = "abcdeonrstx-_=!$*[]{}()\"'\\#\n\r\t \u00e0\u00e9\u00ff";
    private static final List<String> PREFIXES = List.of("", "start on ", "exec ", "script\n", "description ", "normal exit ");

    @TestFactory
    Stream<DynamicTest> mutatedFilesParseOrFailWithinTheFile() {
        return IntStream.range(0, TRIES).mapToObj(seed -> DynamicTest.dynamicTest("seed " + seed,
                () -> check(mutated(new Random(seed)))));
    }

    @TestFactory
    Stream<DynamicTest> randomTextParsesOrFailsWithinTheFile() {
        return IntStream.range(0, TRIES).mapToObj(seed -> DynamicTest.dynamicTest("seed " + seed,
                () -> check(randomText(new Random(1_000_000L + seed)))));
    }

    /** A realistic file with up to 8 random insertions, deletions or replacements of syntax-heavy snippets. */
    static String mutated(Random random) {
        StringBuilder sb = new StringBuilder(SEEDS.get(random.nextInt(SEEDS.size())));
        int edits = 1 + random.nextInt(8);
        for (int i = 0; i < edits; i++) {
            String piece = randomString(random, NOISE, 6);
            int at = random.nextInt(sb.length() + 1);
            switch (random.nextInt(3)) {
                case 0 -> sb.insert(at, piece);
                case 1 -> sb.delete(at, Math.min(sb.length(), at + 1 + piece.length()));
                default -> sb.replace(at, Math.min(sb.length(), at + piece.length()), piece);
            }
        }
        return sb.toString();
    }

    static String randomText(Random random) {
        return PREFIXES.get(random.nextInt(PREFIXES.size())) + randomString(random, TEXT, 300);
    }

    private static String randomString(Random random, String alphabet, int maxLength) {
        int length = random.nextInt(maxLength + 1);
        StringBuilder sb = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            sb.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
        return sb.toString();
    }

    private static void check(String text) {
        ParseResult result = Assertions.assertTimeout(Duration.ofSeconds(1), () -> JobParser.parse("p", "p.conf", text));
        long lfs = text.chars().filter(c -> c == '\n').count();
        switch (result) {
            case ParseResult.Parsed parsed -> assertThat(parsed.job().name()).isEqualTo("p");
            case ParseResult.Failed failed -> {
                assertThat(failed.problem().line()).isBetween(1, (int) (1 + lfs));
                assertThat(failed.problem().detail()).isEqualTo(failed.problem().code().message());
            }
        }
    }
}
