package dev.upfleet.core.parse;

import static dev.upfleet.core.parse.ErrorCode.*;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every error class with Upstart's exact code, message and line (spec §10, upstart-tests.md part B). */
class ParserErrorTest {

    static Stream<Arguments> cases() {
        return Stream.of(
                // unknown stanza and sub-keywords
                Arguments.of("wibble\n", UNKNOWN_STANZA, 1),
                Arguments.of("# c\n\nExec /bin/true\n", UNKNOWN_STANZA, 3),
                Arguments.of("start at foo\n", UNKNOWN_STANZA, 1),
                Arguments.of("kill foo\n", UNKNOWN_STANZA, 1),
                Arguments.of("respawn foo\n", UNKNOWN_STANZA, 1),
                Arguments.of("normal foo\n", UNKNOWN_STANZA, 1),
                Arguments.of("pre-start run\n", UNKNOWN_STANZA, 1),
                Arguments.of("limit foo 1 2\n", UNKNOWN_STANZA, 1),
                Arguments.of("apparmor foo bar\n", UNKNOWN_STANZA, 1),
                Arguments.of("reload foo\n", UNKNOWN_STANZA, 1),
                Arguments.of("expect sometimes\n", UNKNOWN_STANZA, 1),
                Arguments.of("console tty\n", UNKNOWN_STANZA, 1),
                Arguments.of("manual please\n", UNKNOWN_STANZA, 1),
                Arguments.of("\"exec\" /bin/true\n", UNKNOWN_STANZA, 1),
                // expected token
                Arguments.of("description\n", EXPECTED_TOKEN, 1),
                Arguments.of("description \"\"\n", EXPECTED_TOKEN, 1),
                Arguments.of("exec\n", EXPECTED_TOKEN, 1),
                Arguments.of("exec   # only a comment\n", EXPECTED_TOKEN, 1),
                Arguments.of("start\n", EXPECTED_TOKEN, 1),
                Arguments.of("start on\n", EXPECTED_TOKEN, 1),
                Arguments.of("stop on\n", EXPECTED_TOKEN, 1),
                Arguments.of("pre-start\n", EXPECTED_TOKEN, 1),
                Arguments.of("post-stop exec\n", EXPECTED_TOKEN, 1),
                Arguments.of("emits\n", EXPECTED_TOKEN, 1),
                Arguments.of("export # x\n", EXPECTED_TOKEN, 1),
                Arguments.of("normal\n", EXPECTED_TOKEN, 1),
                Arguments.of("normal exit\n", EXPECTED_TOKEN, 1),
                Arguments.of("respawn limit\n", EXPECTED_TOKEN, 1),
                Arguments.of("respawn limit 10\n", EXPECTED_TOKEN, 1),
                Arguments.of("kill\n", EXPECTED_TOKEN, 1),
                Arguments.of("kill timeout\n", EXPECTED_TOKEN, 1),
                Arguments.of("limit\n", EXPECTED_TOKEN, 1),
                Arguments.of("limit nofile 1\n", EXPECTED_TOKEN, 1),
                Arguments.of("oom\n", EXPECTED_TOKEN, 1),
                Arguments.of("oom score\n", EXPECTED_TOKEN, 1),
                Arguments.of("apparmor\n", EXPECTED_TOKEN, 1),
                Arguments.of("apparmor load\n", EXPECTED_TOKEN, 1),
                Arguments.of("cgroup\n", EXPECTED_TOKEN, 1),
                Arguments.of("env\n", EXPECTED_TOKEN, 1),
                Arguments.of("start on (a or \"\")\n", EXPECTED_TOKEN, 1),
                // unexpected token
                Arguments.of("description foo bar\n", UNEXPECTED_TOKEN, 1),
                Arguments.of("task foo\n", UNEXPECTED_TOKEN, 1),
                Arguments.of("script foo\nend script\n", UNEXPECTED_TOKEN, 1),
                Arguments.of("pre-start script foo\nend script\n", UNEXPECTED_TOKEN, 1),
                Arguments.of("env A=1 B=2\n", UNEXPECTED_TOKEN, 1),
                Arguments.of("description foo \\\nbar\n", UNEXPECTED_TOKEN, 2),
                Arguments.of("respawn limit 1 2 3\n", UNEXPECTED_TOKEN, 1),
                Arguments.of("kill timeout 5 6\n", UNEXPECTED_TOKEN, 1),
                Arguments.of("expect fork now\n", UNEXPECTED_TOKEN, 1),
                Arguments.of("apparmor switch a b\n", UNEXPECTED_TOKEN, 1),
                Arguments.of("cgroup a b c d e\n", UNEXPECTED_TOKEN, 1),
                // lexical errors at end of file
                Arguments.of("description foo\\", TRAILING_SLASH, 1),
                Arguments.of("description \"foo\n\nbar\n", UNTERMINATED_QUOTE, 4),
                Arguments.of("exec echo 'a\n", UNTERMINATED_QUOTE, 2),
                Arguments.of("script\necho\n", UNTERMINATED_BLOCK, 3),
                Arguments.of("script\necho", UNTERMINATED_BLOCK, 2),
                Arguments.of("script\n", UNTERMINATED_BLOCK, 2),
                Arguments.of("script\nend scripts\n", UNTERMINATED_BLOCK, 3),
                // numeric values
                Arguments.of("kill timeout abc\n", ILLEGAL_INTERVAL, 1),
                Arguments.of("kill timeout \\\n abc\n", ILLEGAL_INTERVAL, 2),
                Arguments.of("kill timeout -1\n", ILLEGAL_INTERVAL, 1),
                Arguments.of("kill timeout 99999999999999999999\n", ILLEGAL_INTERVAL, 1),
                Arguments.of("respawn limit 10 99foo\n", ILLEGAL_INTERVAL, 1),
                Arguments.of("respawn limit 10 -1\n", ILLEGAL_INTERVAL, 1),
                Arguments.of("respawn limit foo 10\n", ILLEGAL_LIMIT, 1),
                Arguments.of("respawn limit -1 10\n", ILLEGAL_LIMIT, 1),
                Arguments.of("normal exit foo\n", ILLEGAL_EXIT, 1),
                Arguments.of("normal exit term\n", ILLEGAL_EXIT, 1),
                Arguments.of("normal exit -1\n", ILLEGAL_EXIT, 1),
                Arguments.of("normal exit 0 \\\n 1x\n", ILLEGAL_EXIT, 2),
                Arguments.of("kill signal FOO\n", ILLEGAL_SIGNAL, 1),
                Arguments.of("reload signal 12x\n", ILLEGAL_SIGNAL, 1),
                Arguments.of("umask 089\n", ILLEGAL_UMASK, 1),
                Arguments.of("umask 1777\n", ILLEGAL_UMASK, 1),
                Arguments.of("umask -1\n", ILLEGAL_UMASK, 1),
                Arguments.of("umask foo\n", ILLEGAL_UMASK, 1),
                Arguments.of("nice 20\n", ILLEGAL_NICE, 1),
                Arguments.of("nice -21\n", ILLEGAL_NICE, 1),
                Arguments.of("nice 12foo\n", ILLEGAL_NICE, 1),
                Arguments.of("oom 16\n", ILLEGAL_OOM, 1),
                Arguments.of("oom -18\n", ILLEGAL_OOM, 1),
                Arguments.of("oom foo\n", ILLEGAL_OOM, 1),
                Arguments.of("oom score 1001\n", ILLEGAL_OOM_SCORE, 1),
                Arguments.of("oom score -1001\n", ILLEGAL_OOM_SCORE, 1),
                Arguments.of("oom score foo\n", ILLEGAL_OOM_SCORE, 1),
                Arguments.of("limit nofile foo 1\n", ILLEGAL_LIMIT, 1),
                Arguments.of("limit nofile 1 99999999999999999999999\n", ILLEGAL_LIMIT, 1),
                Arguments.of("limit core 1 2x\n", ILLEGAL_LIMIT, 1),
                // event expressions
                Arguments.of("start on or foo\n", EXPECTED_EVENT, 1),
                Arguments.of("start on foo or\n", EXPECTED_EVENT, 1),
                Arguments.of("start on foo or and bar\n", EXPECTED_EVENT, 1),
                Arguments.of("start on (or a)\n", EXPECTED_EVENT, 1),
                Arguments.of("start on (a or)\n", EXPECTED_EVENT, 1),
                Arguments.of("start on (a or\n  b) and\nexec /bin/true\n", EXPECTED_EVENT, 2),
                Arguments.of("start on frodo (a or b)\n", EXPECTED_OPERATOR, 1),
                Arguments.of("start on (a or b) frodo\n", EXPECTED_OPERATOR, 1),
                Arguments.of("start on (a or b)\\\n frodo\n", EXPECTED_OPERATOR, 2),
                Arguments.of("start on foo A=B bar\n", EXPECTED_VARIABLE, 1),
                Arguments.of("stop on foo A!=B bar\n", EXPECTED_VARIABLE, 1),
                Arguments.of("start on a or b)\n", MISMATCHED_PARENS, 1),
                Arguments.of("start on (a or b\n", MISMATCHED_PARENS, 2),
                Arguments.of("start on (a or b\nexec /bin/true\n", MISMATCHED_PARENS, 3),
                Arguments.of("start on (a or b", MISMATCHED_PARENS, 1),
                Arguments.of("start on ((a)\n", MISMATCHED_PARENS, 2),
                // libnih reads a token at the start of every continued line: a blank or comment-only line inside
                // parentheses is an empty token.
                Arguments.of("start on ((a)\n\n", EXPECTED_TOKEN, 2),
                Arguments.of("start on (a # c\n  # only a comment\n or b)\n", EXPECTED_TOKEN, 2),
                Arguments.of("start on (a or\n b))\n", MISMATCHED_PARENS, 2));
    }

    @ParameterizedTest(name = "[{index}] {1} at {2}: {0}")
    @MethodSource("cases")
    void rejectsWithUpstartsErrorAndLine(String text, ErrorCode code, int line) {
        ConfProblem problem = ParseTestSupport.parseBad(text);
        assertThat(problem.code()).isEqualTo(code);
        assertThat(problem.detail()).isEqualTo(code.message());
        assertThat(problem.line()).isEqualTo(line);
        assertThat(problem.file()).isEqualTo("test.conf");
    }

    @org.junit.jupiter.api.Test
    void signalErrorIsRenderedWithoutLineLikeUpstart() {
        ConfProblem problem = ParseTestSupport.parseBad("kill signal SIGFOO\n");
        assertThat(problem.render())
                .isEqualTo("test.conf: Error while loading configuration file: Illegal signal status, expected integer");
        assertThat(ParseTestSupport.parseBad("nice 99\n").render()).isEqualTo("test.conf:1: Illegal nice value, expected -20 to 19");
    }

    @org.junit.jupiter.api.Test
    void nulBytesAreRejectedAsNotText() {
        ConfProblem problem = ParseTestSupport.parseBad("exec /bin/true\n\0\0\0");
        assertThat(problem.code()).isEqualTo(UNREADABLE);
        assertThat(problem.line()).isEqualTo(2);
    }
}
