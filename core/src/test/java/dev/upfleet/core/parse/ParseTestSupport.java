package dev.upfleet.core.parse;

import static org.assertj.core.api.Assertions.assertThat;

import dev.upfleet.core.job.JobClass;

/** Helpers shared by the parser tests. */
final class ParseTestSupport {
    private ParseTestSupport() {}

    static JobClass parseOk(String text) {
        ParseResult r = JobParser.parse("test", "test.conf", text);
        assertThat(r).as("parse of %s", text).isInstanceOf(ParseResult.Parsed.class);
        return ((ParseResult.Parsed) r).job();
    }

    static ConfProblem parseBad(String text) {
        ParseResult r = JobParser.parse("test", "test.conf", text);
        assertThat(r).as("parse of %s", text).isInstanceOf(ParseResult.Failed.class);
        return ((ParseResult.Failed) r).problem();
    }
}
