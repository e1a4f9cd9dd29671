package dev.upfleet.core.event;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** fnmatch(pattern, value, 0) table. */
class GlobTest {

    @ParameterizedTest(name = "{0} ~ {1} = {2}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
        "abc|abc|true",
        "abc|abd|false",
        "abc|ab|false",
        "*|\"\"|true",
        "*|anything|true",
        "*|a/b|true",
        "*|.hidden|true",
        "?|/|true",
        "?|\"\"|false",
        "a*c|abbbc|true",
        "a*c|abbbd|false",
        "*.conf|x.conf|true",
        "a*b*c|axxbyyc|true",
        "a*b*c|axxbyy|false",
        "[2345]|2|true",
        "[2345]|0|false",
        "[!2345]|0|true",
        "[!2345]|3|false",
        "[^2345]|0|true",
        "[a-c]x|bx|true",
        "[a-c]x|dx|false",
        "[]]|]|true",
        "[!]]|a|true",
        "[a-]|-|true",
        "[|[|true",
        "[abc|[abc|true",
        "\\*|*|true",
        "\\*|a|false",
        "a\\|a|false",
        "[[:digit:]]x|5x|true",
        "[[:alpha:]]|5|false",
        "runlevel|runlevel|true",
        "db-*|db-1|true",
        "db-*|web-1|false",
        "[016]|0|true",
        "**a|a|true",
    })
    void matchesLikeFnmatch(String pattern, String value, boolean expected) {
        assertThat(Glob.matches(pattern, value)).isEqualTo(expected);
    }

    @Test
    void noCatastrophicBacktracking() {
        String pattern = "*a".repeat(50) + "b";
        String value = "a".repeat(20_000);
        assertTimeoutPreemptively(Duration.ofSeconds(2), () -> assertThat(Glob.matches(pattern, value)).isFalse());
    }
}
