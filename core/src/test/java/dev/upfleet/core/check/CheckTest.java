package dev.upfleet.core.check;

import static org.assertj.core.api.Assertions.assertThat;

import dev.upfleet.core.job.JobClass;
import dev.upfleet.core.parse.JobParser;
import dev.upfleet.core.parse.ParseResult;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** show-config, check-config and list order (§8.4, §8.6). */
class CheckTest {
    private static JobClass job(String name, String text) {
        return ((ParseResult.Parsed) JobParser.parse(name, name + ".conf", text)).job();
    }

    @Test
    void showConfigPlainAndEnumerated() {
        JobClass j = job("gdm-watch", "emits wibble\nemits foo-*\nstart on (runlevel [016] and stopped xdm A=B)\n"
                + "stop on starting JOB=gdm X=1\n");
        assertThat(ShowConfig.render(List.of(j), false)).isEqualTo("""
                gdm-watch
                  emits wibble
                  emits foo-*
                  start on (runlevel [016] and stopped xdm A=B)
                  stop on starting JOB=gdm X=1
                """);
        assertThat(ShowConfig.render(List.of(j), true)).isEqualTo("""
                gdm-watch
                  emits wibble
                  emits foo-*
                  start on runlevel (job:, env: [016])
                  start on stopped (job: xdm, env: A=B)
                  stop on starting (job: gdm, env: X=1)
                """);
        assertThat(ShowConfig.render(job("plain", "exec /bin/true\n"), true)).isEqualTo("plain\n");
        assertThat(ShowConfig.render(job("p", "start on foo\n"), true)).isEqualTo("p\n  start on foo (job:, env:)\n");
    }

    @Test
    void checkConfigReportsUnknownEventsAndJobs() {
        List<JobClass> jobs = List.of(
                job("cc", "start on wibble or bobble\nstop on peach\n"),
                job("ok", "emits bobble\nstart on started cc and (stopping $JOB or startup)\n"),
                job("dd", "start on stopped nosuchjob\n"));
        CheckConfig.Result r = CheckConfig.check(jobs, Optional.empty(), CheckConfig.Options.DEFAULT);
        assertThat(r.output()).isEqualTo("""
                cc
                  stop on: unknown event peach
                dd
                  start on: unknown job nosuchjob
                """);
        assertThat(r.exitStatus()).isEqualTo(1);

        CheckConfig.Result warn = CheckConfig.check(jobs, Optional.of("cc"), new CheckConfig.Options(Set.of("peach"), true, false));
        assertThat(warn.output()).isEqualTo("cc\n  start on: unknown event wibble\n");

        assertThat(CheckConfig.check(jobs, Optional.of("ok"), CheckConfig.Options.DEFAULT))
                .isEqualTo(new CheckConfig.Result("", 0));
        assertThat(CheckConfig.check(jobs, Optional.of("zz"), CheckConfig.Options.DEFAULT))
                .isEqualTo(new CheckConfig.Result("Invalid job class: zz\n", 1));
    }

    @Test
    void firstFalseOperatorIsReportedRightSideFirstLikeInitctl() {
        List<JobClass> jobs = List.of(
                job("both", "start on alpha and beta\n"),
                job("inner", "start on (alpha and startup) or debug\n"),
                job("nested", "start on (alpha or beta) and (gamma and startup)\n"));
        assertThat(CheckConfig.check(jobs, Optional.empty(), CheckConfig.Options.DEFAULT).output()).isEqualTo("""
                both
                  start on: unknown event beta
                  start on: unknown event alpha
                inner
                  start on: unknown event alpha
                nested
                  start on: unknown event gamma
                  start on: unknown event beta
                  start on: unknown event alpha
                """);
    }

    @Test
    void emitsGlobsMakeEventsKnown() {
        List<JobClass> jobs = List.of(job("a", "emits net-*\n"), job("b", "start on net-up and session-end\n"));
        assertThat(CheckConfig.check(jobs, Optional.empty(), CheckConfig.Options.DEFAULT).output())
                .isEqualTo("b\n  start on: unknown event session-end\n");
        assertThat(CheckConfig.check(jobs, Optional.empty(), new CheckConfig.Options(Set.of(), false, true)).exitStatus())
                .isZero();
    }

    @Test
    void listOrderIsFnv1HashBucketsThenInsertion() {
        assertThat(ListOrder.fnv1("")).isEqualTo(0x811c9dc5);
        assertThat(ListOrder.fnv1("a")).isEqualTo(0x050c5d7e);
        List<String> names = List.of("alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta");
        List<String> ordered = ListOrder.order(names);
        assertThat(ordered).containsExactlyInAnyOrderElementsOf(names);
        for (int i = 1; i < ordered.size(); i++) {
            int prev = ListOrder.bucket(ordered.get(i - 1));
            int cur = ListOrder.bucket(ordered.get(i));
            assertThat(cur).isGreaterThanOrEqualTo(prev);
            if (cur == prev) {
                assertThat(names.indexOf(ordered.get(i))).isGreaterThan(names.indexOf(ordered.get(i - 1)));
            }
        }
    }
}
