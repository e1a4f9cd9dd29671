package dev.upfleet.cli.initctl;

import static org.assertj.core.api.Assertions.assertThat;

import dev.upfleet.cli.initctl.lean.ControlMessages.InstanceStatus;
import dev.upfleet.cli.initctl.lean.ControlMessages.LiveProcess;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The status line examples of spec §8.3 (Upstart's initctl tests). */
class FormatsTest {
    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            svc  |     | start | running    | main:1234                  | svc start/running, process 1234
            svc  | a   | start | running    | main:1234                  | svc (a) start/running, process 1234
            slowpre |  | start | pre-start  | pre-start:902              | slowpre start/pre-start, process 902
            drogo | foo | stop | pre-stop   | main:6312 pre-stop:8609    | drogo (foo) stop/pre-stop, process 6312\\n\\tpre-stop process 8609
            x    |     | start | post-start | post-start:1357            | x start/post-start, (post-start) process 1357
            y    |     | stop  | pre-stop   | pre-stop:77                | y stop/pre-stop, (pre-stop) process 77
            z    |     | stop  | post-stop  | post-stop:5 security:6     | z stop/post-stop, process 5\\n\\tsecurity process 6
            t    |     | stop  | waiting    |                            | t stop/waiting
            s    |     | start | running    |                            | s start/running
            """)
    void statusLine(String job, String instance, String goal, String state, String procs, String expected) {
        List<LiveProcess> processes = new ArrayList<>();
        if (procs != null) {
            for (String p : procs.split(" ")) {
                String[] kv = p.split(":");
                processes.add(new LiveProcess(kv[0], Long.parseLong(kv[1])));
            }
        }
        InstanceStatus s = new InstanceStatus(job, instance == null ? "" : instance, goal, state, processes);
        assertThat(Formats.status(s)).isEqualTo(expected.replace("\\n", "\n").replace("\\t", "\t"));
    }
}
