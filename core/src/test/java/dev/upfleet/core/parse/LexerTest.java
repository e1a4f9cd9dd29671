package dev.upfleet.core.parse;

import static dev.upfleet.core.parse.ParseTestSupport.parseOk;
import static org.assertj.core.api.Assertions.assertThat;

import dev.upfleet.core.job.Command;
import dev.upfleet.core.job.ProcessKind;
import java.util.List;
import org.junit.jupiter.api.Test;

/** libnih tokeniser behaviour (spec §2, upstart-tests.md part A), through the stanzas that use each reader. */
class LexerTest {

    private static String main(String text) {
        return parseOk(text).process(ProcessKind.MAIN).map(Command::text).orElseThrow();
    }

    @Test
    void quotedNewlineCollapsesWithSurroundingWhitespace() {
        assertThat(parseOk("description \"spans\n    two lines\"\n").description()).hasValue("spans two lines");
    }

    @Test
    void continuationInsideTokenJoinsWithOneSpace() {
        assertThat(parseOk("description foo\\\nbar\n").description()).hasValue("foo bar");
        // WS after the continuation is a delimiter: the token ends and "bar" is an extra token on line 2.
        ConfProblem p = ParseTestSupport.parseBad("description foo \\\nbar\n");
        assertThat(p.code()).isEqualTo(ErrorCode.UNEXPECTED_TOKEN);
        assertThat(p.line()).isEqualTo(2);
        assertThat(ParseTestSupport.parseBad("description foo\\\n    bar\n").line()).isEqualTo(2);
    }

    @Test
    void escapedWhitespaceIsLiteralAndBackslashRemoved() {
        assertThat(parseOk("author Jane\\ Doe\n").author()).hasValue("Jane Doe");
    }

    @Test
    void otherEscapesAreKeptEvenWhenDequoting() {
        assertThat(parseOk("version a\\$b\n").version()).hasValue("a\\$b");
    }

    @Test
    void escapedBackslashDequotesToOne() {
        assertThat(parseOk("version a\\\\b\n").version()).hasValue("a\\b");
        assertThat(main("exec echo a\\\\b\n")).isEqualTo("echo a\\\\b");
    }

    @Test
    void quotesAreConcatenatedAndRemoved() {
        assertThat(parseOk("description \"a\"b'c'\n").description()).hasValue("abc");
        assertThat(parseOk("description 'it''s'\n").description()).hasValue("its");
    }

    @Test
    void hashInsideQuotesIsLiteral() {
        assertThat(main("exec /bin/echo \"a # b\" c # note\n")).isEqualTo("/bin/echo \"a # b\" c");
        assertThat(parseOk("description \"a # b\" # c\n").description()).hasValue("a # b");
    }

    @Test
    void commandKeepsQuotesAndInnerWhitespace() {
        assertThat(main("exec   /bin/sh  -c   'echo  \"x\"'   \n")).isEqualTo("/bin/sh  -c   'echo  \"x\"'");
    }

    @Test
    void commandContinuationCollapsesToOneSpace() {
        assertThat(main("exec /usr/bin/server \\\n    --port 8080 \\\n    --verbose\n"))
                .isEqualTo("/usr/bin/server --port 8080 --verbose");
    }

    @Test
    void libnihQuirkEscapeAfterWhitespaceCopiesTheBackslash() {
        // nih_config_token copies pending whitespace from one byte too late before a kept escape.
        assertThat(main("exec echo \\$HOME\n")).isEqualTo("echo\\\\$HOME");
    }

    @Test
    void crIsWhitespace() {
        assertThat(parseOk("description foo\r\nauthor bar\r\n").author()).hasValue("bar");
    }

    @Test
    void lastLineWithoutNewline() {
        assertThat(parseOk("description foo").description()).hasValue("foo");
        assertThat(main("exec /bin/true")).isEqualTo("/bin/true");
    }

    @Test
    void commentsBlankAndWhitespaceLinesAreSkipped() {
        assertThat(parseOk("\n   \n# comment\n\t# indented comment\n  description x # trailing\n").description())
                .hasValue("x");
    }

    @Test
    void argumentListsStopAtComments() {
        assertThat(parseOk("emits a b # c d\nemits \"e f\" \\\n g\n").emits()).containsExactly("a", "b", "e f", "g");
    }

    @Test
    void scriptBlockDedentsByFirstLinesIndent() {
        String body = main("script\n    this is\n  \t a test\nend script\n");
        assertThat(body).isEqualTo("  this is\n\t a test\n");
    }

    @Test
    void dedentKeepsExtraIndentation() {
        assertThat(main("script\n  if x; then\n    y\n  fi\nend script\n")).isEqualTo("if x; then\n  y\nfi\n");
    }

    @Test
    void blankLineInBlockDisablesDedent() {
        assertThat(main("script\n  a\n\n  b\nend script\n")).isEqualTo("  a\n\n  b\n");
    }

    @Test
    void mixedTabAndSpacesDisablesDedent() {
        assertThat(main("script\n\ta\n  b\nend script\n")).isEqualTo("\ta\n  b\n");
    }

    @Test
    void terminatorVariants() {
        assertThat(main("script\n  echo start\n  endscript\n  end scripts\n  end script now\n\tend\tscript\t# c\n"))
                .isEqualTo("echo start\nendscript\nend scripts\nend script now\n");
        assertThat(main("script\necho\nend script#x\n")).isEqualTo("echo\n");
        assertThat(main("script\necho\n   end    script")).isEqualTo("echo\n");
    }

    @Test
    void emptyBlockIsEmptyString() {
        assertThat(main("script\nend script\n")).isEmpty();
    }

    @Test
    void scriptAllowsTrailingComment() {
        assertThat(main("script # body follows\necho\nend script\n")).isEqualTo("echo\n");
    }

    @Test
    void linesAreCountedThroughQuotesBlocksAndContinuations() {
        ConfProblem p = ParseTestSupport.parseBad(
                "description \"a\nb\"\nscript\nx\nend script\nexec a \\\n b\nwibble\n");
        assertThat(p.line()).isEqualTo(8);
    }

    @Test
    void manualAndDebugDoNotConsumeTheLine() {
        var job = parseOk("start on foo\nmanual exec /bin/true\n");
        assertThat(job.startOn()).isEmpty();
        assertThat(job.process(ProcessKind.MAIN)).hasValue(new Command.Exec("/bin/true"));
        assertThat(parseOk("debug task\n").task()).isTrue();
    }

    @Test
    void emptyQuotedCommandIsKept() {
        assertThat(main("exec \"\"\n")).isEqualTo("\"\"");
    }

    @Test
    void exportListsAccumulate() {
        assertThat(parseOk("export A B\nexport C\n").export()).isEqualTo(List.of("A", "B", "C"));
    }
}
