package dev.upfleet.core.parse;

import java.util.ArrayList;
import java.util.List;

/**
 * libnih's configuration tokeniser ({@code nih/config.c}) over an in-memory job file, reproduced function by function
 * (spec §2), quirks included. The lexer owns the cursor ({@link #pos}) and the line counter ({@link #line}); stanza
 * handlers save and restore them where Upstart works on a copy ({@code a_pos}/{@code a_lineno}).
 *
 * <p>Errors are thrown as {@link ParseFailure} carrying the line counter at the moment of the error, which is what
 * Upstart reports.
 */
final class Lexer {
    /** Which characters end a token (outside quotes, unescaped). */
    enum Delims {
        /** {@code NIH_CONFIG_CNLWS}: comment, newline, whitespace. */
        CNLWS,
        /** {@code NIH_CONFIG_CNL}: comment, newline (commands keep their inner whitespace). */
        CNL,
        /** {@code "()" NIH_CONFIG_CNLWS}: event-expression tokens. */
        EXPR;

        boolean test(char c) {
            return switch (this) {
                case CNLWS -> isCnl(c) || isWs(c);
                case CNL -> isCnl(c);
                case EXPR -> isCnl(c) || isWs(c) || c == '(' || c == ')';
            };
        }
    }

    final String text;
    final int len;
    int pos;
    int line = 1;

    Lexer(String text) {
        this.text = text;
        this.len = text.length();
    }

    static boolean isWs(char c) {
        return c == ' ' || c == '\t' || c == '\r';
    }

    static boolean isCnl(char c) {
        return c == '#' || c == '\n';
    }

    char peek() {
        return text.charAt(pos);
    }

    /** {@code nih_config_has_token}: not at end of file, a comment or a newline. */
    boolean hasToken() {
        return pos < len && !isCnl(text.charAt(pos));
    }

    /** {@code nih_config_skip_whitespace}: WS and backslash-newline pairs, stopping at a plain newline. */
    void skipWhitespace() {
        while (pos < len) {
            char c = text.charAt(pos);
            if (c == '\\') {
                if (len - pos > 1 && text.charAt(pos + 1) == '\n') {
                    pos++;
                } else {
                    break;
                }
            } else if (!isWs(c)) {
                break;
            }
            if (text.charAt(pos) == '\n') {
                line++;
            }
            pos++;
        }
    }

    /** {@code nih_config_next_line}: past the next newline (or to end of file). */
    void nextLine() {
        int nl = text.indexOf('\n', pos);
        if (nl < 0) {
            pos = len;
        } else {
            pos = nl + 1;
            line++;
        }
    }

    /** {@code nih_config_skip_comment}: the end-of-stanza check (§2.6). */
    void skipComment() {
        if (hasToken()) {
            throw new ParseFailure(ErrorCode.UNEXPECTED_TOKEN, line);
        }
        nextLine();
    }

    /**
     * {@code nih_config_next_token}: scans a token from the cursor (counting lines), requires it to be non-empty,
     * skips the whitespace after it, then copies it (dequoted if asked) exactly as libnih's second pass does.
     */
    String nextToken(Delims delims, boolean dequote) {
        int start = pos;
        int length = scanCounting(delims, dequote);
        int end = pos;
        if (length == 0) {
            throw new ParseFailure(ErrorCode.EXPECTED_TOKEN, line);
        }
        skipWhitespace();
        return copy(start, end, length, delims, dequote);
    }

    /** libnih's second pass; a token without quotes, escapes or newlines is simply its first {@code length} chars. */
    private String copy(int start, int end, int length, Delims delims, boolean dequote) {
        if (scanPlain) {
            return text.substring(start, start + length);
        }
        StringBuilder dest = new StringBuilder(Math.max(length, 0));
        scan(start, end, delims, dequote, dest);
        return dest.toString();
    }

    /** {@code nih_config_next_arg}: a dequoted CNLWS token. */
    String nextArg() {
        return nextToken(Delims.CNLWS, true);
    }

    /** {@code nih_config_parse_args}: dequoted arguments to the end of the line. */
    List<String> parseArgs() {
        List<String> args = new ArrayList<>();
        while (hasToken()) {
            args.add(nextArg());
        }
        skipComment();
        return args;
    }

    /** {@code nih_config_parse_command}: the raw rest of the line, comment and trailing WS removed. */
    String parseCommand() {
        int start = pos;
        int length = scanCounting(Delims.CNL, false);
        int end = pos;
        skipComment();
        return copy(start, end, length, Delims.CNL, false);
    }

    /** Runs {@link #scan} from the cursor to end of file, advancing the cursor and line counter; throws on errors. */
    private int scanCounting(Delims delims, boolean dequote) {
        int length = scan(pos, len, delims, dequote, null);
        pos = scanEnd;
        line += scanLines;
        if (scanError != null) {
            throw new ParseFailure(scanError, line);
        }
        return length;
    }

    // Results of the last scan() besides its return value; fields avoid an allocation per token.
    private int scanEnd;
    private int scanLines;
    private boolean scanPlain;
    private ErrorCode scanError;

    /**
     * {@code nih_config_token}, byte for byte: returns the token length (newline runs counted as one character,
     * trailing WS and removed quotes not counted) and appends the copy to {@code dest} when given.
     *
     * <p>One libnih quirk is kept on purpose: an escape other than {@code \\}, {@code \}WS or {@code \}LF that follows
     * pending whitespace copies the whitespace from one byte too late (the backslash instead of the first space), so
     * {@code "a \$b"} comes out as {@code a\\$b}. Upstart 1.13 stores exactly that.
     */
    private int scan(int from, int to, Delims delims, boolean dequote, StringBuilder dest) {
        int ws = 0;
        int nlws = 0;
        int qc = 0;
        int lines = 0;
        boolean slash = false;
        boolean nl = false;
        char quote = 0;
        boolean plain = true;
        int p = from;
        for (; p < to; p++) {
            char c = text.charAt(p);
            int extra = 0;
            boolean isq = false;
            if (slash) {
                slash = false;
                if (c == '\n') {
                    nlws++;
                    nl = true;
                    lines++;
                    continue;
                } else if (c == '\\' || isWs(c)) {
                    extra++;
                    if (dequote) {
                        qc++;
                    }
                } else if (dest != null) {
                    dest.append('\\');
                }
            } else if (c == '\\') {
                slash = true;
                plain = false;
                continue;
            } else if (quote != 0) {
                if (c == quote) {
                    quote = 0;
                    isq = true;
                } else if (c == '\n') {
                    nl = true;
                    lines++;
                    continue;
                } else if (isWs(c)) {
                    ws++;
                    continue;
                }
            } else if (c == '"' || c == '\'') {
                quote = c;
                isq = true;
                plain = false;
            } else if (delims.test(c)) {
                break;
            } else if (isWs(c)) {
                ws++;
                continue;
            }

            if (nl) {
                nlws += ws;
                if (dest != null) {
                    dest.append(' ');
                }
            } else if (ws > 0 && dest != null) {
                dest.append(text, p - ws - extra, p - extra);
            }
            if (extra > 0 && dest != null && !dequote) {
                dest.append(text, p - extra, p);
            }
            if (dest != null && !(isq && dequote)) {
                dest.append(c);
            }
            if (isq && dequote) {
                qc++;
            }
            ws = 0;
            nl = false;
        }
        scanEnd = p;
        scanLines = lines;
        scanPlain = plain;
        if (slash) {
            scanError = ErrorCode.TRAILING_SLASH;
        } else if (quote != 0) {
            scanError = ErrorCode.UNTERMINATED_QUOTE;
        } else {
            scanError = null;
        }
        return p - from - ws - nlws - qc;
    }

    /**
     * {@code nih_config_parse_block}: the lines up to {@code end TYPE}, with libnih's dedent (§2.4): the first line's
     * leading WS, cut down to what every later line shares with it byte for byte, is removed from every line.
     */
    String parseBlock(String type) {
        int start = pos;
        int ws = 0;
        int lines = 0;
        while (true) {
            int blockEnd = blockEnd(type);
            if (blockEnd >= 0) {
                return dedent(start, blockEnd, ws);
            }
            lines++;
            int lineStart = pos;
            int p = pos;
            if (lines == 1) {
                while (p < len && isWs(text.charAt(p))) {
                    p++;
                }
                ws = p - lineStart;
            } else {
                while (p < len && p - lineStart < ws && text.charAt(start + p - lineStart) == text.charAt(p)) {
                    p++;
                }
                if (p - lineStart < ws) {
                    ws = p - lineStart;
                }
            }
            pos = p;
            nextLine();
            if (pos >= len) {
                throw new ParseFailure(ErrorCode.UNTERMINATED_BLOCK, line);
            }
        }
    }

    private String dedent(int start, int end, int ws) {
        StringBuilder block = new StringBuilder(end - start);
        int pp = start;
        while (pp < end) {
            pp += ws;
            int nl = text.indexOf('\n', pp);
            block.append(text, pp, nl + 1);
            pp = nl + 1;
        }
        return block.toString();
    }

    /**
     * {@code nih_config_block_end}: whether the line at the cursor is {@code WS* end WS+ TYPE WS* [#...]}; if so moves
     * past it and returns where the line started, else returns -1 and leaves the cursor alone.
     */
    private int blockEnd(String type) {
        int p = pos;
        while (p < len && isWs(text.charAt(p))) {
            p++;
        }
        if (len - p < 4 || !text.startsWith("end", p)) {
            return -1;
        }
        if (!isWs(text.charAt(p + 3))) {
            return -1;
        }
        p += 3;
        while (p < len && isWs(text.charAt(p))) {
            p++;
        }
        if (len - p < type.length() || !text.startsWith(type, p)) {
            return -1;
        }
        p += type.length();
        while (p < len && isWs(text.charAt(p))) {
            p++;
        }
        if (p < len && text.charAt(p) == '#') {
            while (p < len && text.charAt(p) != '\n') {
                p++;
            }
        }
        if (p < len && text.charAt(p) != '\n') {
            return -1;
        }
        if (p < len) {
            line++;
            p++;
        }
        int blockEnd = pos;
        pos = p;
        return blockEnd;
    }
}
