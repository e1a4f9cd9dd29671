package dev.upfleet.core.parse;

import dev.upfleet.core.event.EventExpr;
import dev.upfleet.core.event.EventExpr.Operator;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Upstart's {@code parse_on}: the operator-stack parser of {@code start on}/{@code stop on} expressions (spec §4.1).
 * {@code and}/{@code or} have equal precedence and group to the left; a {@code (} pushes a marker. It is iterative, so
 * arbitrarily deep parentheses cannot overflow the Java stack. Error lines follow Upstart's bookkeeping exactly.
 */
final class ExprParser {
    /** The open-parenthesis marker on the stack. */
    private static final Object PAREN = new Object();

    /** An operator waiting for its right operand. */
    private record PendingOp(Operator operator, EventExpr left) {}

    /** An event term still collecting arguments. */
    private static final class PendingMatch {
        final String name;
        final List<String> args = new ArrayList<>();
        boolean named;

        PendingMatch(String name) {
            this.name = name;
        }
    }

    private final Lexer lex;
    private final Deque<Object> stack = new ArrayDeque<>();
    private EventExpr root;
    private int paren;

    private ExprParser(Lexer lex) {
        this.lex = lex;
    }

    static EventExpr parse(Lexer lex) {
        return new ExprParser(lex).run();
    }

    private EventExpr run() {
        int mark;
        do {
            lex.skipWhitespace();
            do {
                // Upstart's "update error position": errors raised after the loop report this token's line.
                mark = lex.line;
                if (lex.pos < lex.len && (lex.peek() == '(' || lex.peek() == ')')) {
                    paren();
                } else {
                    operator();
                }
            } while (lex.hasToken());
            lex.skipComment();
        } while (lex.pos < lex.len && paren != 0);

        collect(mark);
        if (!stack.isEmpty()) {
            throw new ParseFailure(ErrorCode.MISMATCHED_PARENS, lex.line);
        }
        return root;
    }

    private void paren() {
        int line = lex.line;
        if (lex.peek() == '(') {
            paren++;
            if (root != null || stack.peek() instanceof PendingMatch) {
                throw new ParseFailure(ErrorCode.EXPECTED_OPERATOR, line);
            }
            stack.push(PAREN);
        } else {
            paren--;
            collect(line);
            if (stack.isEmpty()) {
                throw new ParseFailure(ErrorCode.MISMATCHED_PARENS, line);
            }
            stack.pop();
        }
        lex.pos++;
        lex.skipWhitespace();
    }

    /** Reads a token unquoted; {@code and}/{@code or} are operators, anything else is re-read as an operand. */
    private void operator() {
        int startPos = lex.pos;
        int startLine = lex.line;
        String token = lex.nextToken(Lexer.Delims.EXPR, false);
        Operator op = switch (token) {
            case "and" -> Operator.AND;
            case "or" -> Operator.OR;
            default -> null;
        };
        if (op == null) {
            lex.pos = startPos;
            lex.line = startLine;
            operand();
            return;
        }
        collect(startLine);
        stack.push(new PendingOp(op, root));
        root = null;
    }

    private void operand() {
        String arg = lex.nextToken(Lexer.Delims.EXPR, true);
        if (stack.peek() instanceof PendingMatch match) {
            match.args.add(arg);
            // Positional arguments must come before named ones.
            if (arg.indexOf('=') >= 0) {
                match.named = true;
            } else if (match.named) {
                throw new ParseFailure(ErrorCode.EXPECTED_VARIABLE, lex.line);
            }
        } else {
            stack.push(new PendingMatch(arg));
        }
    }

    /** {@code parse_on_collect}: folds the stack down to the nearest marker into {@link #root}. */
    private void collect(int errorLine) {
        while (!stack.isEmpty() && stack.peek() != PAREN) {
            Object item = stack.pop();
            switch (item) {
                case PendingOp op -> {
                    if (root == null) {
                        throw new ParseFailure(ErrorCode.EXPECTED_EVENT, errorLine);
                    }
                    root = new EventExpr.Op(op.operator(), op.left(), root);
                }
                case PendingMatch match -> {
                    if (root != null) {
                        throw new ParseFailure(ErrorCode.EXPECTED_OPERATOR, errorLine);
                    }
                    root = new EventExpr.Match(match.name, match.args);
                }
                default -> throw new IllegalStateException("unexpected stack item");
            }
        }
        if (root == null) {
            throw new ParseFailure(ErrorCode.EXPECTED_EVENT, errorLine);
        }
    }
}
