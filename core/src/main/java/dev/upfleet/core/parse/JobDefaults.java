package dev.upfleet.core.parse;

import dev.upfleet.core.job.Console;
import dev.upfleet.core.job.JobClass;
import java.util.Objects;

/**
 * What a job without the stanza gets, fixed when its file is parsed, as Upstart's {@code job_class_new} does: the
 * {@code console} (init's {@code --default-console}) and the {@code umask} (a Session Init's own, unless
 * {@code --no-inherit-env}).
 */
public record JobDefaults(Console console, int umask) {
    /** Upstart's defaults: {@code console log}, {@code umask 022}. */
    public static final JobDefaults STANDARD = new JobDefaults(Console.LOG, JobClass.DEFAULT_UMASK);

    public JobDefaults {
        Objects.requireNonNull(console);
        if ((umask & ~0777) != 0) {
            throw new IllegalArgumentException("umask out of range: " + Integer.toOctalString(umask));
        }
    }
}
