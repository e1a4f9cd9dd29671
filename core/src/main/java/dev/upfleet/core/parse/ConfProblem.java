package dev.upfleet.core.parse;

/**
 * Why a job file was rejected: where (1-based line and column) and what. {@code detail} replaces the code's
 * standard message where one is needed (an I/O error's text); otherwise it is the code's message.
 */
public record ConfProblem(String file, int line, int column, ErrorCode code, String detail) {

    public ConfProblem(String file, int line, int column, ErrorCode code) {
        this(file, line, column, code, code.message());
    }

    /** Upstart's log form: {@code PATH:LINE: MESSAGE}, or the line-less form for load errors (§10). */
    public String render() {
        if (code.reportedWithoutLine()) {
            return file + ": Error while loading configuration file: " + detail;
        }
        return file + ":" + line + ": " + detail;
    }
}
