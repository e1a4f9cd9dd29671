package dev.upfleet.core.parse;

import dev.upfleet.core.job.JobClass;
import java.util.Optional;

/** The outcome of parsing a job file: a job class, or the first problem (the file is rejected whole). */
public sealed interface ParseResult {
    /**
     * A job class. {@code overrideProblem} is the first problem of its {@code .override}, if that failed: Upstart 1.13
     * parses an override into the class it has already registered, so the class stays, with the override's stanzas
     * before the error applied (spec §1.3), and the problem is only reported.
     */
    record Parsed(JobClass job, Optional<ConfProblem> overrideProblem) implements ParseResult {
        public Parsed(JobClass job) {
            this(job, Optional.empty());
        }
    }

    record Failed(ConfProblem problem) implements ParseResult {}
}
