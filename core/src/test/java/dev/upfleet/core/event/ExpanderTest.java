package dev.upfleet.core.event;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** §4.5 variable expansion table. */
class ExpanderTest {
    private static final Map<String, String> ENV = Map.of("FOO", "foo", "EMPTY", "", "RUNLEVEL", "2", "_x1", "u",
            "HOBBIT", "FOO", "LONG", "a much longer value");

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
        "plain|plain",
        "$FOO|foo",
        "${FOO}|foo",
        "a$FOO-b|afoo-b",
        "x${FOO}y|xfooy",
        "$_x1|u",
        "${UNSET:-def}|def",
        "${EMPTY:-def}|def",
        "${EMPTY-def}|\"\"",
        "${FOO:-def}|foo",
        "${UNSET-def}|def",
        "${FOO:+alt}|alt",
        "${EMPTY:+alt}|\"\"",
        "${EMPTY+alt}|alt",
        "${UNSET+alt}|\"\"",
        "${UNSET:-${FOO}}|foo",
        "${UNSET:-a${FOO}b}|afoob",
        "${}|$",
        "$|$",
        "a$|a$",
        "$1|$1",
        "$-x|$-x",
        "[!$RUNLEVEL]|[!2]",
        "$FOO $RUNLEVEL ${FOO}|foo 2 foo",
        "x$LONG$RUNLEVEL${EMPTY}y|xa much longer value2y",
        "${$HOBBIT}|foo",
        "${${HOBBIT}:-def}|foo",
        "${EMPTY:-$LONG}|a much longer value",
    })
    void expands(String in, String out) {
        assertThat(Expander.expand(in, ENV)).isEqualTo(new Expander.Result.Expanded(out));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
        "$UNSET|Unknown parameter: UNSET",
        "${UNSET}|Unknown parameter: UNSET",
        "x$NOPE y|Unknown parameter: NOPE",
        "${FOO:-$NOPE}|Unknown parameter: NOPE",
        "${$NOPE}|Unknown parameter: NOPE",
        "${$EMPTY}|'Illegal parameter: '",
        "${FOO?x}|Illegal parameter: FOO?x",
        "${1}|Illegal parameter: 1",
        "${FOO:x}|Expected operator",
        "${FOO|Mismatched braces",
        "${FOO:-abc|Mismatched braces",
        "${|'Illegal parameter: '",
        "${FOO:|Expected operator",
    })
    void reportsUpstartsErrors(String in, String message) {
        assertThat(Expander.expand(in, ENV)).isEqualTo(new Expander.Result.Failed(message));
        assertThat(Expander.expandOrNull(in, ENV)).isNull();
    }
}
