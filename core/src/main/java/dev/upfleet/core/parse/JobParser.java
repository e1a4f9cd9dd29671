package dev.upfleet.core.parse;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Parses Upstart 1.13 job files ({@code .conf}, optionally followed by an {@code .override} into the same class) into
 * a {@link dev.upfleet.core.job.JobClass}. Pure and thread-safe (each call has its own state). Never throws for any
 * input text: every rejection is a {@link ParseResult.Failed} carrying the first problem, as Upstart reports it.
 */
public final class JobParser {
    private JobParser() {}

    /** Parses one job file's text; {@code fileLabel} is what problems name as the file. */
    public static ParseResult parse(String jobName, String fileLabel, String text) {
        return parse(jobName, fileLabel, text, null, null, JobDefaults.STANDARD);
    }

    /**
     * Parses a {@code .conf} and then its {@code .override} into the same class (spec §1.3: scalar stanzas replace,
     * lists accumulate, {@code manual} clears {@code start on}). A problem in the conf fails the whole parse; a problem
     * in the override does not: the class keeps the override's stanzas before the error and carries the problem, as
     * Upstart 1.13 updates the class it already registered. {@code overrideText} may be null for "no override".
     */
    public static ParseResult parse(
            String jobName, String confLabel, String confText, String overrideLabel, String overrideText) {
        return parse(jobName, confLabel, confText, overrideLabel, overrideText, JobDefaults.STANDARD);
    }

    /** As {@link #parse(String, String, String, String, String)}, with {@code defaults} for absent stanzas. */
    public static ParseResult parse(String jobName, String confLabel, String confText, String overrideLabel,
            String overrideText, JobDefaults defaults) {
        JobClassBuilder builder = new JobClassBuilder(defaults);
        ConfProblem problem = parseInto(builder, confLabel, confText);
        if (problem != null) {
            return new ParseResult.Failed(problem);
        }
        ConfProblem overrideProblem = overrideText == null ? null : parseInto(builder, overrideLabel, overrideText);
        return new ParseResult.Parsed(builder.build(jobName), Optional.ofNullable(overrideProblem));
    }

    /**
     * Parses more stanzas into an existing builder (an override, or any further text). Returns the problem, or null
     * when the text was accepted; on a problem the builder may have been partially updated, as in Upstart.
     */
    public static ConfProblem parseInto(JobClassBuilder builder, String fileLabel, String text) {
        int nul = text.indexOf('\0');
        if (nul >= 0) {
            int line = 1 + (int) text.substring(0, nul).chars().filter(c -> c == '\n').count();
            return new ConfProblem(fileLabel, line, 1, ErrorCode.UNREADABLE, "File contains NUL bytes (not a text file)");
        }
        Lexer lex = new Lexer(text);
        try {
            Stanzas.parseFile(lex, builder);
            return null;
        } catch (ParseFailure e) {
            return new ConfProblem(fileLabel, e.line, column(text, lex.pos), e.code);
        } catch (StackOverflowError | OutOfMemoryError e) {
            return new ConfProblem(fileLabel, lex.line, column(text, lex.pos), ErrorCode.UNREADABLE,
                    "File too complex to parse");
        } catch (RuntimeException e) {
            // A bug, not the file's fault; still a value, so one bad file cannot take a daemon down.
            return new ConfProblem(fileLabel, lex.line, column(text, lex.pos), ErrorCode.UNREADABLE,
                    "Internal parser error: " + e);
        }
    }

    /**
     * Reads and parses {@code file} below {@code confDir}; the job name is the relative path without {@code .conf}
     * (spec §1.2). Invalid UTF-8 is decoded leniently; an unreadable file is an {@link ErrorCode#UNREADABLE} problem.
     */
    public static ParseResult parseFile(Path confDir, Path file) {
        return parseFiles(jobName(confDir, file), file, Optional.empty());
    }

    /**
     * Reads and parses {@code conf} and, when {@code override} is non-null and exists, its override on top (§1.3).
     */
    public static ParseResult parseFiles(Path confDir, Path conf, Path override) {
        return parseFiles(jobName(confDir, conf), conf,
                Optional.ofNullable(override).filter(o -> Files.exists(o)));
    }

    /**
     * Reads and parses the job {@code jobName} from {@code conf} and its {@code override} (§1.3). A conf that cannot be
     * read fails; an override that cannot be read leaves the conf's class, carrying the read error as its override
     * problem (Upstart gives up on the override before touching the class).
     */
    public static ParseResult parseFiles(String jobName, Path conf, Optional<Path> override) {
        return parseFiles(jobName, conf, override, JobDefaults.STANDARD);
    }

    /** As {@link #parseFiles(String, Path, Optional)}, with {@code defaults} for absent stanzas. */
    public static ParseResult parseFiles(String jobName, Path conf, Optional<Path> override, JobDefaults defaults) {
        String confLabel = conf.toString();
        String confText;
        try {
            confText = read(conf);
        } catch (IOException | RuntimeException | OutOfMemoryError e) {
            return new ParseResult.Failed(unreadable(confLabel, e));
        }
        if (override.isEmpty()) {
            return parse(jobName, confLabel, confText, null, null, defaults);
        }
        String overrideLabel = override.get().toString();
        String overrideText;
        try {
            overrideText = read(override.get());
        } catch (IOException | RuntimeException | OutOfMemoryError e) {
            return withOverrideProblem(parse(jobName, confLabel, confText, null, null, defaults),
                    unreadable(overrideLabel, e));
        }
        return parse(jobName, confLabel, confText, overrideLabel, overrideText, defaults);
    }

    private static ParseResult withOverrideProblem(ParseResult confAlone, ConfProblem problem) {
        return switch (confAlone) {
            case ParseResult.Parsed parsed -> new ParseResult.Parsed(parsed.job(), Optional.of(problem));
            case ParseResult.Failed failed -> failed;
        };
    }

    private static String read(Path file) throws IOException {
        return decode(Files.readAllBytes(file));
    }

    /** The problem of a file that could not be read: no line, the system's reason. */
    private static ConfProblem unreadable(String label, Throwable e) {
        return new ConfProblem(label, 0, 0, ErrorCode.UNREADABLE, describe(e));
    }

    /** The job name of {@code file} in {@code confDir}: relative path, {@code .conf} removed, '/' separated. */
    public static String jobName(Path confDir, Path file) {
        Path rel = confDir.toAbsolutePath().normalize().relativize(file.toAbsolutePath().normalize());
        String name = rel.toString().replace(java.io.File.separatorChar, '/');
        return name.endsWith(".conf") ? name.substring(0, name.length() - ".conf".length()) : name;
    }

    /** UTF-8, strictly when possible; otherwise replacing malformed bytes rather than failing. */
    public static String decode(byte[] bytes) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            return new String(bytes, StandardCharsets.UTF_8);
        }
    }

    private static String describe(Throwable e) {
        return switch (e) {
            case java.nio.file.NoSuchFileException x -> "No such file or directory";
            case java.nio.file.AccessDeniedException x -> "Permission denied";
            case OutOfMemoryError x -> "File too large";
            default -> e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        };
    }

    private static int column(String text, int pos) {
        int p = Math.min(pos, text.length());
        return p - (text.lastIndexOf('\n', p - 1) + 1) + 1;
    }
}
