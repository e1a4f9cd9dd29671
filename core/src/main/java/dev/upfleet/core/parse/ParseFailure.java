package dev.upfleet.core.parse;

/**
 * Internal control flow of the parser: the first error aborts the whole file (like libnih's error raise). It never
 * leaves {@link JobParser}, which turns it into a {@link ConfProblem} value. No stack trace: it is not a bug.
 */
final class ParseFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    final ErrorCode code;
    final int line;

    ParseFailure(ErrorCode code, int line) {
        super(code.message(), null, false, false);
        this.code = code;
        this.line = line;
    }
}
