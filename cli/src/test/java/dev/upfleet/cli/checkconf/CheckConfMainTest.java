package dev.upfleet.cli.checkconf;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** init-checkconf's output and exit codes (spec §9). */
class CheckConfMainTest {
    @TempDir
    Path dir;

    private record Run(int rc, String out, String err) {}

    private Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int rc = CheckConfMain.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(rc, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private String write(String name, String text) throws Exception {
        Path p = dir.resolve(name);
        Files.writeString(p, text);
        return p.toString();
    }

    @Test
    void syntaxOk() throws Exception {
        String f = write("good.conf", "start on startup\nscript\n  echo hi\nend script\n");
        assertThat(run(f)).isEqualTo(new Run(0, "File " + f + ": syntax ok\n", ""));
    }

    @Test
    void syntaxInvalidShowsDaemonLine() throws Exception {
        String f = write("bad.conf", "description x\n\nwibble\n");
        assertThat(run(f)).isEqualTo(new Run(1, "", "ERROR: File " + f + ": syntax invalid:\ninit:bad.conf:3: Unknown stanza\n"));
        String s = write("sig.conf", "kill signal FOO\n");
        assertThat(run(s).err()).contains("init:sig.conf:1: Illegal signal status, expected integer");
    }

    /** init-checkconf copies FILE alone into its throw-away configuration directory: an override is not read. */
    @Test
    void anOverrideBesideTheFileIsIgnored() throws Exception {
        String f = write("svc.conf", "start on startup\nexec /bin/true\n");
        write("svc.override", "wibble\nmanual\n");
        assertThat(run(f)).isEqualTo(new Run(0, "File " + f + ": syntax ok\n", ""));
        assertThat(run("--dump", f).out()).contains("start_on: startup");
    }

    @Test
    void shellSyntaxChecked() throws Exception {
        String f = write("sh.conf", "pre-start script\n  if then fi (\nend script\n");
        Run r = run(f);
        assertThat(r.rc()).isEqualTo(1);
        assertThat(r.err()).startsWith("ERROR: File " + f + ": shell syntax invalid in pre-start section:\n");
        assertThat(run("-s", f).rc()).isZero();
        assertThat(run("--noscript", f).out()).isEqualTo("File " + f + ": syntax ok\n");
    }

    @Test
    void dumpPrintsCanonicalForm() throws Exception {
        String f = write("d.conf", "task\nexec /bin/true\n");
        assertThat(run("--dump", f)).isEqualTo(new Run(0, "task: true\nprocess.main: exec /bin/true\n", ""));
    }

    /** The 1.13 script's checks, in its order: a file is named, is a regular file ("-f"), then ends in .conf. */
    @Test
    void fileChecks() throws Exception {
        String txt = write("x.txt", "task\n");
        assertThat(run(txt)).isEqualTo(new Run(1, "", "ERROR: File must end in .conf\n"));
        String missingTxt = dir.resolve("nope.txt").toString();
        assertThat(run(missingTxt)).isEqualTo(new Run(1, "", "ERROR: File " + missingTxt + " does not exist\n"));
        String missing = dir.resolve("nope.conf").toString();
        assertThat(run(missing)).isEqualTo(new Run(1, "", "ERROR: File " + missing + " does not exist\n"));
        String directory = Files.createDirectory(dir.resolve("d.conf")).toString();
        assertThat(run(directory)).isEqualTo(new Run(1, "", "ERROR: File " + directory + " does not exist\n"));
        assertThat(run()).isEqualTo(new Run(1, "", "ERROR: Must specify configuration file\n"));
        assertThat(run("-s")).isEqualTo(new Run(1, "", "ERROR: Must specify configuration file\n"));
        Path bin = dir.resolve("bin.conf");
        Files.write(bin, new byte[] {0x7f, 'E', 'L', 'F', 0, 0, 1});
        Run r = run(bin.toString());
        assertThat(r.rc()).isEqualTo(1);
        assertThat(r.err()).contains("Error while loading configuration file: File contains NUL bytes");
    }

    @Test
    void hostileInputsGiveOneErrorLine() throws Exception {
        String deep = write("deep.conf", "start on " + "(".repeat(100_000) + "a\n");
        assertThat(run(deep).err()).endsWith(":2: Mismatched parentheses\n");
        Path utf = dir.resolve("utf.conf");
        Files.write(utf, new byte[] {'a', 'u', 't', 'h', 'o', 'r', ' ', (byte) 0xc3, (byte) 0x28, '\n'});
        assertThat(run("-s", utf.toString()).rc()).isZero();
    }

    @Test
    void severalFilesAndOptions() throws Exception {
        String a = write("a.conf", "exec /bin/a\n");
        String b = write("b.conf", "exec\n");
        Run r = run("-d", "-i", "initctl", "-x", "init", "-f", a, b);
        assertThat(r.rc()).isEqualTo(1);
        assertThat(r.out()).isEqualTo("File " + a + ": syntax ok\n");
        assertThat(r.err()).contains("init:b.conf:1: Expected token");
    }

    /** getopt reports an unknown option, but the 1.13 script checks eval's status, not getopt's, and goes on. */
    @Test
    void unknownOptionsAreReportedAndIgnored() throws Exception {
        String a = write("a.conf", "exec /bin/a\n");
        assertThat(run("--bogus", a)).isEqualTo(new Run(0, "File " + a + ": syntax ok\n",
                "init-checkconf: unrecognized option '--bogus'\n"));
        assertThat(run("-z", a)).isEqualTo(new Run(0, "File " + a + ": syntax ok\n",
                "init-checkconf: invalid option -- 'z'\n"));
    }

    /** The script's long options and -f FILE (getopt "df:hi:sx:", "debug file: help initctl-path: noscript upstart-path:"). */
    @Test
    void scriptOptions() throws Exception {
        String a = write("a.conf", "exec /bin/a\n");
        String ok = "File " + a + ": syntax ok\n";
        assertThat(run("-f", a)).isEqualTo(new Run(0, ok, ""));
        assertThat(run("--file=" + a)).isEqualTo(new Run(0, ok, ""));
        assertThat(run("--file", a, "--debug", "--noscript")).isEqualTo(new Run(0, ok, ""));
        assertThat(run("--initctl-path=/sbin/initctl", "--upstart-path", "/sbin/init", a)).isEqualTo(new Run(0, ok, ""));
        assertThat(run("-f")).isEqualTo(new Run(1, "",
                "init-checkconf: option requires an argument -- 'f'\nERROR: Must specify configuration file\n"));
        assertThat(run(a, "--file").err()).isEqualTo("init-checkconf: option '--file' requires an argument\n");
        Run help = run("-h");
        assertThat(help.rc()).isZero();
        assertThat(help.out()).startsWith("Description: Determine if specified Upstart (init(8)) job configuration\n")
                .contains("Usage: init-checkconf [options] -f <conf_file>\n");
        assertThat(run("--help", a)).isEqualTo(help);
    }
}
