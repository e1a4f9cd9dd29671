package dev.upfleet.core.parse;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Assertions;

/**
 * Whatever the text, the parser returns Parsed or Failed (never throws), quickly, and a failure's line lies within
 * the file (1 .. 1 + number of LFs). Inputs are random text and mutations of realistic job files.
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

    @Provide
    Arbitrary<String> mutated() {
        Arbitrary<String> seed = Arbitraries.of(SEEDS);
        Arbitrary<String> noise = Arbitraries.strings().withChars("\"'\\()#\n \tand or=!$a{}").ofMaxLength(6);
        Arbitrary<List<Integer>> positions = Arbitraries.integers().between(0, 1000).list().ofMinSize(1).ofMaxSize(8);
        Arbitrary<List<Integer>> kinds = Arbitraries.integers().between(0, 2).list().ofSize(8);
        Arbitrary<List<String>> pieces = noise.list().ofSize(8);
        return Combinators.combine(seed, positions, kinds, pieces).as((s, pos, kind, piece) -> {
            StringBuilder sb = new StringBuilder(s);
            for (int i = 0; i < pos.size(); i++) {
                int at = pos.get(i) % (sb.length() + 1);
                switch (kind.get(i)) {
                    case 0 -> sb.insert(at, piece.get(i));
                    case 1 -> sb.delete(at, Math.min(sb.length(), at + 1 + piece.get(i).length()));
                    default -> sb.replace(at, Math.min(sb.length(), at + piece.get(i).length()), piece.get(i));
                }
            }
            return sb.toString();
        });
    }

    @Provide
    Arbitrary<String> randomText() {
        Arbitrary<String> prefix = Arbitraries.of("", "start on ", "exec ", "script\n", "description ", "normal exit ");
        Arbitrary<String> body = Arbitraries.strings()
                .withChars("abcdeonrstx-_=!$*[]{}()\"'\\#\n\r\t ")
                .withCharRange('\u00e0', '\u00ff')
                .ofMaxLength(300);
        return Combinators.combine(prefix, body).as(String::concat);
    }

    @Property(tries = 1500)
    void mutatedFilesParseOrFailWithinTheFile(@ForAll("mutated") String text) {
        check(text);
    }

    @Property(tries = 1500)
    void randomTextParsesOrFailsWithinTheFile(@ForAll("randomText") String text) {
        check(text);
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
