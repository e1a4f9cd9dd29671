package dev.upfleet.core.parse;

import dev.upfleet.core.job.JobClass;

/** The outcome of parsing a job file: a job class, or the first problem (the file is rejected whole). */
public sealed interface ParseResult {
    record Parsed(JobClass job) implements ParseResult {}

    record Failed(ConfProblem problem) implements ParseResult {}
}
