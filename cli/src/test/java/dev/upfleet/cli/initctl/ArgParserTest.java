package dev.upfleet.cli.initctl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** libnih's option parsing (spec §8.1): where an option finds its value, and how errors name what was typed. */
class ArgParserTest {

    private static ArgParser.Invocation parse(String line) throws ArgParser.UsageError {
        return ArgParser.parse(line.split(" "));
    }

    @Test
    void anOptionValueIsTheNextArgumentThatIsNotAnOption() throws Exception {
        var inv = parse("check-config -i -w wibble cc");
        assertThat(inv.value("ignore-events")).isEqualTo("wibble");
        assertThat(inv.has("warn")).isTrue();
        assertThat(inv.args()).containsExactly("cc");
    }

    @Test
    void onlyTheFirstOptionOfABundleTakesTheRestAsItsValue() throws Exception {
        assertThat(parse("check-config -iwibble cc").value("ignore-events")).isEqualTo("wibble");
        var inv = parse("check-config -wi wibble cc");
        assertThat(inv.value("ignore-events")).isEqualTo("wibble");
        assertThat(inv.args()).containsExactly("cc");
    }

    @Test
    void afterDoubleDashEverythingIsAnArgumentOrAValue() throws Exception {
        var inv = parse("emit -n -- -odd A=1");
        assertThat(inv.has("no-wait")).isTrue();
        assertThat(inv.args()).containsExactly("-odd", "A=1");
        assertThat(parse("check-config -i -- -w").value("ignore-events")).isEqualTo("-w");
    }

    @Test
    void libnihsHiddenDebugOptionIsAccepted() throws Exception {
        assertThat(parse("--debug list").command()).isEqualTo("list");
        assertThat(parse("status --debug svc").args()).containsExactly("svc");
    }

    @Test
    void errorsNameTheArgumentAsTyped() {
        assertThatThrownBy(() -> parse("list --bogus=1")).hasMessage("invalid option: --bogus=1");
        assertThatThrownBy(() -> parse("check-config -wi")).hasMessage("missing argument: -wi");
        assertThatThrownBy(() -> parse("check-config --ignore-events -w")).hasMessage("missing argument: --ignore-events");
        assertThatThrownBy(() -> parse("list --quiet=yes")).hasMessage("unexpected argument: --quiet=yes");
        assertThatThrownBy(() -> parse("status -n svc")).hasMessage("invalid option: -n");
    }
}
