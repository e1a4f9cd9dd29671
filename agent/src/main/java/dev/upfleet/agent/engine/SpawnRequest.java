package dev.upfleet.agent.engine;

import dev.upfleet.core.job.Command;
import dev.upfleet.core.job.JobClass;
import dev.upfleet.core.job.ProcessKind;
import java.util.List;

/**
 * One process to start for a job instance.
 *
 * @param job      the class the instance runs (console, umask, nice, oom score, limits, chroot, chdir, setuid, setgid,
 *                 expect and apparmor switch come from it)
 * @param instance instance name, {@code ""} for single-instance jobs
 * @param env      the complete environment, {@code KEY=VALUE}, already including {@code UPSTART_JOB},
 *                 {@code UPSTART_INSTANCE} and {@code UPSTART_SOCKET}-style variables
 */
public record SpawnRequest(JobClass job, String instance, ProcessKind kind, Command command, List<String> env) {
    public SpawnRequest {
        env = List.copyOf(env);
    }
}
