package dev.upfleet.cli.checkconf;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** init-checkconf's script-section extraction (spec §9 step 1: sed '/^ *SECTION/,/^ *end script/p' | sh -n). */
class ShellCheckTest {

    @Test
    void extractsEveryRangeWithItsDelimitingLines() {
        String text = "description x\npre-start script\n  echo a\nend script\nexec /bin/true\n"
                + "  pre-start exec /bin/b\nstart on a\n  end script # c\ntask\n";
        assertThat(ShellCheck.extract(text, "pre-start")).isEqualTo(
                "pre-start script\n  echo a\nend script\n  pre-start exec /bin/b\nstart on a\n  end script # c\n");
    }

    @Test
    void rangeRunsToEndOfFileWithoutTerminatorAndOnlySpacesIndent() {
        assertThat(ShellCheck.extract("post-stop exec x\nstop on b", "post-stop")).isEqualTo("post-stop exec x\nstop on b");
        // "^ *" allows spaces only: a TAB-indented section line does not start a range
        assertThat(ShellCheck.extract("\tscript\n  echo\nend script\n", "script")).isEmpty();
        // the end address is only looked for after the start line
        assertThat(ShellCheck.extract("script end script\nx\nend script\ny\n", "script"))
                .isEqualTo("script end script\nx\nend script\n");
    }

    @Test
    void sectionMustAppearAsAWord() {
        assertThat(ShellCheck.mentions("# pre-start here\n", "pre-start")).isTrue();
        assertThat(ShellCheck.mentions("exec /bin/scripts\n", "script")).isFalse();
        assertThat(ShellCheck.mentions("pre-start script\n", "script")).isTrue();
    }

    @Test
    void linesAfterAnExecSectionAreShellCheckedLikeTheRealTool() {
        // pre-start has no "end script", so sh -n sees "start on (a or b)" and rejects it.
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        byte[] conf = "pre-start exec /bin/true\nstart on (a or b)\nexec /bin/x\n".getBytes(StandardCharsets.UTF_8);
        int rc = ShellCheck.check("j.conf", conf, new PrintStream(err, true, StandardCharsets.UTF_8));
        assertThat(rc).isEqualTo(1);
        assertThat(err.toString(StandardCharsets.UTF_8))
                .startsWith("ERROR: File j.conf: shell syntax invalid in pre-start section:\n");
        ByteArrayOutputStream none = new ByteArrayOutputStream();
        byte[] ok = "pre-start script\n  echo a\nend script\nstart on (a or b)\n".getBytes(StandardCharsets.UTF_8);
        assertThat(ShellCheck.check("k.conf", ok, new PrintStream(none, true, StandardCharsets.UTF_8))).isZero();
    }
}
