package dev.upfleet.agent.process;

import dev.upfleet.agent.engine.SpawnException;
import dev.upfleet.core.job.JobClass;
import dev.upfleet.core.job.Limit;
import dev.upfleet.core.job.RlimitResource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Puts a job's umask, oom score, nice, limits, chroot and setuid/setgid in place before its program runs, and the
 * console as controlling terminal, the AppArmor profile switch and the debug pause.
 *
 * <p>posix_spawn cannot set these in the child, and a JVM cannot safely fork and run Java code there. So when (and only
 * when) a job sets any of them, the job's argv is prefixed with a chain of standard Debian tools, each of which sets
 * one attribute and execs the next: {@code setsid --ctty} → {@code sh -c 'umask; oom_score_adj; exec "$@"'} →
 * {@code prlimit} → {@code nice} → {@code chroot [--userspec]} or {@code setpriv} → {@code sh -c 'AppArmor switch;
 * debug pause; exec "$@"'}. The order follows Upstart's where it matters: the session and controlling terminal come
 * first, limits before nice, chroot before dropping privileges; the profile switch and the debug pause come last, so
 * that the profile applies to the job's program only (not to the tools before it) and a debugger finds the process
 * with every attribute in place, about to exec the program. A failing link exits non-zero (the tools' own codes:
 * 1, 2, 125, 127), which the engine sees as a failed process; unknown setuid/setgid names (here) and profile names
 * that cannot be expanded or are not loaded (by the launcher) are caught before spawning. The tools exec the job's program with execvp and the job's environment, so
 * PATH lookup is the job's own (and happens inside the chroot). Jobs that set none of these are spawned directly:
 * the fast path. In a chroot the last link runs inside it, so it needs {@code /bin/sh} there (and {@code /proc} for
 * the profile switch), as a chdir inside a chroot already does.
 *
 * <p>Upstart's security process (the AppArmor parser) gets none of the job's attributes, as in Upstart: only its
 * console, and the debug pause.
 */
final class AttributeChain {
    private static final String TOOL_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    private final Baseline baseline;
    private final Accounts accounts;

    AttributeChain(Baseline baseline, Accounts accounts) {
        this.baseline = baseline;
        this.accounts = accounts;
    }

    /**
     * What to posix_spawn: the executable, its full argv, the directory to start in, and whether the spawn itself
     * makes the new session ({@code false} when the chain starts with {@code setsid}); {@code user} is who the chain
     * switches to, if anyone.
     */
    record Plan(String executable, List<String> argv, String chdir, boolean wrapped, boolean newSession,
            Optional<Ids> user) {}

    /** The user and group a job's processes run as ({@code setuid}/{@code setgid}). */
    record Ids(long uid, long gid) {
        /** chroot(8)'s {@code --userspec} form. */
        String spec() {
            return uid + ":" + gid;
        }
    }

    /**
     * What one spawn adds to the job's own attributes.
     *
     * @param ctty       make the console (descriptor 0) the controlling terminal ({@code console owner})
     * @param appArmor   the (expanded) profile to switch to at exec, main process with AppArmor enabled only
     * @param debugPause stop with SIGSTOP before exec ({@code debug})
     * @param bare       the security process: none of the job's attributes
     */
    record Extras(boolean ctty, Optional<String> appArmor, boolean debugPause, boolean bare) {}

    Plan plan(JobClass job, List<String> jobArgv, List<String> env, Extras extras) throws SpawnException {
        if (jobArgv.isEmpty()) {
            throw new SpawnException("unable to execute: No such file or directory");
        }
        String chdir = extras.bare() ? "/" : job.chdir().orElse("/");
        boolean attributes = !extras.bare() && needsWrapper(job);
        if (!attributes && !extras.ctty() && extras.appArmor().isEmpty() && !extras.debugPause()) {
            String exe = CommandLine.resolve(jobArgv.getFirst(), CommandLine.pathOf(env))
                    .orElseThrow(() -> new SpawnException("unable to execute: " + Libc.strerror(Libc.ENOENT)));
            return new Plan(exe, jobArgv, chdir, false, true, Optional.empty());
        }
        List<String> chain = new ArrayList<>();
        if (extras.ctty()) {
            // Not spawned in a session of its own: setsid(1) would fork (changing the pid) if it led a group.
            chain.addAll(List.of(tool("setsid"), "--ctty"));
        }
        Optional<Ids> user = attributes ? user(job) : Optional.empty();
        String spawnDir = attributes ? attributesPart(job, chdir, user, chain) : chdir;
        lastPart(extras, chain);
        chain.addAll(jobArgv);
        return new Plan(chain.getFirst(), List.copyOf(chain), spawnDir, true, !extras.ctty(), user);
    }

    /** The job's own attributes; returns the directory to spawn in. */
    private String attributesPart(JobClass job, String chdir, Optional<Ids> user, List<String> chain)
            throws SpawnException {
        shellPart(job, chain);
        limitsPart(job.limits(), chain);
        job.nice().filter(n -> n != baseline.nice()).ifPresent(n -> {
            chain.add(tool("nice"));
            chain.add("-n");
            chain.add(Integer.toString(n - baseline.nice()));
        });
        String spawnDir = chdir;
        if (job.chroot().isPresent()) {
            checkChroot(job.chroot().get());
            chain.add(tool("chroot"));
            user.ifPresent(u -> chain.add("--userspec=" + u.spec()));
            chain.add(job.chroot().get());
            spawnDir = "/";
            if (!chdir.equals("/")) {
                // chroot(8) always starts in the new root; the job's chdir is relative to it. Needs /bin/sh there.
                chain.addAll(List.of(CommandLine.SHELL, "-c", "cd \"$0\" && exec \"$@\"", chdir));
            }
        } else if (user.isPresent()) {
            chain.add(tool("setpriv"));
            chain.add("--reuid=" + user.get().uid());
            chain.add("--regid=" + user.get().gid());
            // Upstart calls initgroups for the setuid user; setgid alone keeps root's supplementary groups.
            chain.add(job.setuid().isPresent() ? "--init-groups" : "--keep-groups");
            chain.add("--");
        }
        return spawnDir;
    }

    /**
     * The AppArmor switch (Upstart's {@code apparmor_switch}: {@code exec PROFILE} written to the process's exec
     * attribute, which takes effect at its next exec, the job's program) and the debug pause, then exec.
     */
    private static void lastPart(Extras extras, List<String> chain) {
        if (extras.appArmor().isEmpty() && !extras.debugPause()) {
            return;
        }
        StringBuilder script = new StringBuilder();
        if (extras.appArmor().isPresent()) {
            // The LSM-specific file where the kernel has it (5.8+), else the shared one.
            script.append("f=/proc/self/attr/apparmor/exec; [ -e \"$f\" ] || f=/proc/self/attr/exec; ")
                    .append("printf 'exec %s\\n' \"$1\" > \"$f\" || exit 1; shift; ");
        }
        if (extras.debugPause()) {
            script.append("kill -STOP $$; ");
        }
        script.append("exec \"$@\"");
        chain.addAll(List.of(CommandLine.SHELL, "-c", script.toString(), "sh"));
        extras.appArmor().ifPresent(chain::add);
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

    private void limitsPart(Map<RlimitResource, Limit> limits, List<String> chain) throws SpawnException {
        if (limits.isEmpty()) {
            return;
        }
        checkLimits(limits);
        chain.add(tool("prlimit"));
        limits.forEach((res, lim) ->
                chain.add("--" + res.wireName() + "=" + Limit.render(lim.soft()) + ":" + Limit.render(lim.hard())));
        chain.add("--");
    }

    /**
     * The checks setrlimit(2) makes, made before the spawn: the prlimit(1) link would fail them with an exit status,
     * where Upstart's child fails its setup (§6.5: a spawn failure, no EXIT_STATUS). In Upstart's order (by resource
     * number), with its message.
     */
    private void checkLimits(Map<RlimitResource, Limit> limits) throws SpawnException {
        List<RlimitResource> byNumber = new ArrayList<>(limits.keySet());
        byNumber.sort(Comparator.comparingInt(RlimitResource::number));
        for (RlimitResource res : byNumber) {
            Limit lim = limits.get(res);
            int errno = 0;
            if (Long.compareUnsigned(lim.soft(), lim.hard()) > 0) {
                errno = Libc.EINVAL;
            } else if (!baseline.root() && Long.compareUnsigned(lim.hard(), currentHard(res)) > 0) {
                errno = Libc.EPERM; // raising a hard limit takes CAP_SYS_RESOURCE
            }
            if (errno != 0) {
                throw new SpawnException("unable to set \"" + res.wireName() + "\" resource limit: "
                        + Libc.strerror(errno));
            }
        }
    }

    private static long currentHard(RlimitResource res) {
        try {
            return Libc.getrlimit(res.number()).hard();
        } catch (LibcException e) {
            return Limit.UNLIMITED; // unknown here: left to prlimit(1)
        }
    }

    /** chroot(2)'s checks, made before the spawn for the same reason as {@link #checkLimits}. */
    private void checkChroot(String root) throws SpawnException {
        Path dir = Path.of(root);
        int errno = !baseline.root() ? Libc.EPERM // CAP_SYS_CHROOT
                : !Files.exists(dir) ? Libc.ENOENT : !Files.isDirectory(dir) ? Libc.ENOTDIR : 0;
        if (errno != 0) {
            throw new SpawnException("unable to change root directory: " + Libc.strerror(errno));
        }
    }

    /** {@code UID:GID} when privileges are to be dropped (only as root; otherwise Upstart's setuid is a no-op or fails). */
    private Optional<Ids> user(JobClass job) throws SpawnException {
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
        return Optional.of(new Ids(uid, gid));
    }

    private static String tool(String name) {
        // Resolved per use: cheap (a few stats) and only on the wrapped path.
        return CommandLine.resolve(name, TOOL_PATH).orElse(name);
    }
}
