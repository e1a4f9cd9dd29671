package dev.upfleet.agent.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.upfleet.agent.engine.SpawnException;
import dev.upfleet.core.job.Command;
import dev.upfleet.core.job.RlimitResource;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The wrapper chain's construction: which links, in which order, for console owner, apparmor switch and debug. */
class AttributeChainTest {
    private final AttributeChain chain = new AttributeChain(new Baseline(022, 0, 0, true, true), new Accounts(Path.of("/etc")));
    private final List<String> env = List.of("PATH=/usr/bin:/bin");
    private final List<String> argv = List.of("/bin/true", "x");

    private AttributeChain.Plan plan(TestJob job, boolean ctty, String profile, boolean debug, boolean bare)
            throws Exception {
        var extras = new AttributeChain.Extras(ctty, Optional.ofNullable(profile), debug, bare);
        return chain.plan(job.jobClass(new Command.Exec("/bin/true x")), argv, env, extras);
    }

    @Test
    void nothingToDoIsTheFastPathInANewSession() throws Exception {
        var plan = plan(TestJob.named("j"), false, null, false, false);
        assertThat(plan.wrapped()).isFalse();
        assertThat(plan.newSession()).isTrue();
        assertThat(plan.argv()).isEqualTo(argv);
    }

    @Test
    void consoleOwnerStartsWithSetsidInTheCallersSession() throws Exception {
        var plan = plan(TestJob.named("j").umask(027), true, null, false, false);
        assertThat(plan.newSession()).isFalse();
        assertThat(plan.argv().subList(0, 2)).containsExactly("/usr/bin/setsid", "--ctty");
        assertThat(plan.argv().get(2)).isEqualTo(CommandLine.SHELL); // then the umask link
        assertThat(plan.argv()).endsWith("/bin/true", "x");
    }

    @Test
    void appArmorSwitchAndDebugPauseAreTheLastLinkAfterPrivilegesAreDropped() throws Exception {
        var plan = plan(TestJob.named("j").nice(5).setuid("nobody"), false, "web-profile", true, false);
        List<String> a = plan.argv();
        int setpriv = a.indexOf("/usr/bin/setpriv");
        int last = a.lastIndexOf(CommandLine.SHELL);
        assertThat(a.getFirst()).isEqualTo("/usr/bin/nice");
        assertThat(setpriv).isPositive().isLessThan(last);
        assertThat(a.get(last + 1)).isEqualTo("-c");
        assertThat(a.get(last + 2)).contains("/proc/self/attr/apparmor/exec", "/proc/self/attr/exec",
                "printf 'exec %s\\n' \"$1\"", "kill -STOP $$", "exec \"$@\"");
        assertThat(a.subList(last + 3, a.size())).containsExactly("sh", "web-profile", "/bin/true", "x");
        assertThat(plan.newSession()).isTrue();
    }

    @Test
    void theSecurityProcessGetsNoneOfTheJobsAttributes() throws Exception {
        var bare = plan(TestJob.named("j").umask(027).nice(5).chdir("/tmp").chroot("/srv"), false, null, false, true);
        assertThat(bare.wrapped()).isFalse();
        assertThat(bare.chdir()).isEqualTo("/");
        var paused = plan(TestJob.named("j").umask(027), false, null, true, true);
        assertThat(paused.argv().get(2)).isEqualTo("kill -STOP $$; exec \"$@\"");
    }

    @Test
    void limitsAndRootsThatTheChildWouldFailToSetAreSpawnFailuresWithUpstartsMessages() throws Exception {
        assertThatThrownBy(() -> plan(TestJob.named("j").limit(RlimitResource.NOFILE, 200, 100), false, null, false,
                false)).isInstanceOf(SpawnException.class)
                .hasMessage("unable to set \"nofile\" resource limit: Invalid argument");
        // the first in Upstart's order, by resource number: cpu (0) before nofile (7)
        assertThatThrownBy(() -> plan(TestJob.named("j").limit(RlimitResource.NOFILE, 200, 100)
                .limit(RlimitResource.CPU, 9, 8), false, null, false, false))
                .hasMessage("unable to set \"cpu\" resource limit: Invalid argument");
        assertThatThrownBy(() -> plan(TestJob.named("j").chroot("/nonexistent-root"), false, null, false, false))
                .isInstanceOf(SpawnException.class)
                .hasMessage("unable to change root directory: No such file or directory");
        assertThatThrownBy(() -> plan(TestJob.named("j").chroot("/etc/hostname"), false, null, false, false))
                .hasMessage("unable to change root directory: Not a directory");
        assertThat(plan(TestJob.named("j").chroot("/").limit(RlimitResource.NOFILE, 100, 200), false, null, false,
                false).argv()).contains("--nofile=100:200", "/");
    }

    @Test
    void withoutRootAHardLimitCannotBeRaisedNorARootChanged() throws Exception {
        AttributeChain user = new AttributeChain(new Baseline(022, 0, 0, false, false), new Accounts(Path.of("/etc")));
        long hard = Libc.getrlimit(RlimitResource.NOFILE.number()).hard();
        var extras = new AttributeChain.Extras(false, Optional.empty(), false, false);
        assertThatThrownBy(() -> user.plan(TestJob.named("j").limit(RlimitResource.NOFILE, 10, hard + 1)
                .jobClass(new Command.Exec("/bin/true x")), argv, env, extras))
                .hasMessage("unable to set \"nofile\" resource limit: Operation not permitted");
        assertThat(user.plan(TestJob.named("j").limit(RlimitResource.NOFILE, 10, hard)
                .jobClass(new Command.Exec("/bin/true x")), argv, env, extras).wrapped()).isTrue();
        assertThatThrownBy(() -> user.plan(TestJob.named("j").chroot("/")
                .jobClass(new Command.Exec("/bin/true x")), argv, env, extras))
                .hasMessage("unable to change root directory: Operation not permitted");
    }
}
