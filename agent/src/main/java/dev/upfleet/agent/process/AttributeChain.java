package dev.upfleet.agent.process;

import dev.upfleet.agent.engine.SpawnException;
import dev.upfleet.core.job.JobClass;
import dev.upfleet.core.job.Limit;
import dev.upfleet.core.job.RlimitResource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Puts a job's umask, oom score, nice, limits, chroot and setuid/setgid in place before its program runs.
 *
 * <p>posix_spawn cannot set these in the child, and a JVM cannot safely fork and run Java code there. So when (and only
 * when) a job sets any of them, the job's argv is prefixed with a chain of standard Debian tools, each of which sets
 * one attribute and execs the next: {@code sh -c 'umask; oom_score_adj; exec "$@"'} → {@code prlimit} →
 * {@code nice} → {@code chroot [--userspec]} or {@code setpriv}. The order follows Upstart's (limits before nice,
 * chroot before dropping privileges, which happens last). A failing link exits non-zero (the tools' own codes:
 * 1, 125, 127), which the engine sees as a failed process; unknown setuid/setgid names are caught here, before
 * spawning. The tools exec the job's program with execvp and the job's environment, so PATH lookup is the job's own
 * (and happens inside the chroot). Jobs that set none of these are spawned directly: the fast path.
 */
final class AttributeChain {
    private static final String TOOL_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    private final Baseline baseline;
    private final Accounts accounts;

    AttributeChain(Baseline baseline, Accounts accounts) {
        this.baseline = baseline;
        this.accounts = accounts;
    }

    /** What to posix_spawn: the executable, its full argv, and the directory to start in. */
    record Plan(String executable, List<String> argv, String chdir, boolean wrapped) {}

    Plan plan(JobClass job, List<String> jobArgv, List<String> env) throws SpawnException {
        if (jobArgv.isEmpty()) {
            throw new SpawnException("unable to execute: No such file or directory");
        }
        String chdir = job.chdir().orElse("/");
        if (!needsWrapper(job)) {
            String exe = CommandLine.resolve(jobArgv.getFirst(), CommandLine.pathOf(env))
                    .orElseThrow(() -> new SpawnException("unable to execute: " + Libc.strerror(Libc.ENOENT)));
            return new Plan(exe, jobArgv, chdir, false);
        }
        List<String> chain = new ArrayList<>();
        shellPart(job, chain);
        limitsPart(job.limits(), chain);
        job.nice().filter(n -> n != baseline.nice()).ifPresent(n -> {
            chain.add(tool("nice"));
            chain.add("-n");
            chain.add(Integer.toString(n - baseline.nice()));
        });
        String spawnDir = chdir;
        Optional<String> userspec = userspec(job);
        if (job.chroot().isPresent()) {
            chain.add(tool("chroot"));
            userspec.ifPresent(u -> chain.add("--userspec=" + u));
            chain.add(job.chroot().get());
            spawnDir = "/";
            if (!chdir.equals("/")) {
                // chroot(8) always starts in the new root; the job's chdir is relative to it. Needs /bin/sh there.
                chain.addAll(List.of(CommandLine.SHELL, "-c", "cd \"$0\" && exec \"$@\"", chdir));
            }
        } else if (userspec.isPresent()) {
            String[] ids = userspec.get().split(":");
            chain.add(tool("setpriv"));
            chain.add("--reuid=" + ids[0]);
            chain.add("--regid=" + ids[1]);
            // Upstart calls initgroups for the setuid user; setgid alone keeps root's supplementary groups.
            chain.add(job.setuid().isPresent() ? "--init-groups" : "--keep-groups");
            chain.add("--");
        }
        chain.addAll(jobArgv);
        return new Plan(chain.getFirst(), List.copyOf(chain), spawnDir, true);
    }

    boolean needsWrapper(JobClass job) {
        return job.umask() != baseline.umask()
                || job.oomScore() != baseline.oomScore()
                || job.nice().filter(n -> n != baseline.nice()).isPresent()
                || !job.limits().isEmpty()
                || job.chroot().isPresent()
                || (baseline.root() && (job.setuid().isPresent() || job.setgid().isPresent()));
    }

    private void shellPart(JobClass job, List<String> chain) {
        List<String> steps = new ArrayList<>();
        if (job.umask() != baseline.umask()) {
            steps.add("umask " + String.format("%04o", job.umask()));
        }
        if (job.oomScore() != baseline.oomScore()) {
            steps.add("echo " + job.oomScore() + " > /proc/self/oom_score_adj");
        }
        if (!steps.isEmpty()) {
            steps.add("exec \"$@\"");
            chain.addAll(List.of(CommandLine.SHELL, "-c", String.join(" && ", steps), "sh"));
        }
    }

    private void limitsPart(Map<RlimitResource, Limit> limits, List<String> chain) {
        if (limits.isEmpty()) {
            return;
        }
        chain.add(tool("prlimit"));
        limits.forEach((res, lim) ->
                chain.add("--" + res.wireName() + "=" + Limit.render(lim.soft()) + ":" + Limit.render(lim.hard())));
        chain.add("--");
    }

    /** {@code UID:GID} when privileges are to be dropped (only as root; otherwise Upstart's setuid is a no-op or fails). */
    private Optional<String> userspec(JobClass job) throws SpawnException {
        if (!baseline.root() || (job.setuid().isEmpty() && job.setgid().isEmpty())) {
            return Optional.empty();
        }
        long uid = 0;
        long gid = 0;
        if (job.setuid().isPresent()) {
            Accounts.User user = accounts.user(job.setuid().get())
                    .orElseThrow(() -> new SpawnException("unable to find setuid user"));
            uid = user.uid();
            gid = user.gid();
        }
        if (job.setgid().isPresent()) {
            gid = accounts.groupId(job.setgid().get())
                    .orElseThrow(() -> new SpawnException("unable to find setgid group"));
        }
        return Optional.of(uid + ":" + gid);
    }

    private static String tool(String name) {
        // Resolved per use: cheap (a few stats) and only on the wrapped path.
        return CommandLine.resolve(name, TOOL_PATH).orElse(name);
    }
}
