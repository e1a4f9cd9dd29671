package dev.upfleet.cli.checkconf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.upfleet.core.dump.CanonicalDump;
import dev.upfleet.core.parse.JobParser;
import dev.upfleet.core.parse.ParseResult;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Runs every case of {@code shared/conformance/parse} (beside the project root) and of the project's own
 * {@code conformance/parse} through the Java API: ok cases compare the canonical dump byte for byte, bad cases the
 * line, class and message. A folder that is absent is skipped.
 */
class ConformanceParseTest {

    static Path parseCases() {
        // The module directory is the working directory under Maven: project root is .., shared/ is ../../shared.
        for (Path candidate : new Path[] {Path.of("../../shared/conformance/parse"), Path.of("../shared/conformance/parse")}) {
            if (Files.isDirectory(candidate)) {
                return candidate;
            }
        }
        return null;
    }

    /** The project's own cases ({@code conformance/parse} at the project root). */
    static Path projectCases() {
        Path candidate = Path.of("../conformance/parse");
        return Files.isDirectory(candidate) ? candidate : null;
    }

    @TestFactory
    Stream<DynamicTest> okCases() throws IOException {
        Path dir = parseCases();
        assumeTrue(dir != null, "shared/conformance/parse not found");
        return okCases(dir);
    }

    @TestFactory
    Stream<DynamicTest> badCases() throws IOException {
        Path dir = parseCases();
        assumeTrue(dir != null, "shared/conformance/parse not found");
        return badCases(dir);
    }

    @TestFactory
    Stream<DynamicTest> projectOkCases() throws IOException {
        Path dir = projectCases();
        assumeTrue(dir != null, "conformance/parse not found");
        return okCases(dir);
    }

    @TestFactory
    Stream<DynamicTest> projectBadCases() throws IOException {
        Path dir = projectCases();
        assumeTrue(dir != null, "conformance/parse not found");
        return badCases(dir);
    }

    private static Stream<DynamicTest> okCases(Path dir) throws IOException {
        return confFiles(dir.resolve("ok")).map(conf -> DynamicTest.dynamicTest(conf.getFileName().toString(), () -> {
            ParseResult r = JobParser.parseFile(conf.getParent(), conf);
            assertThat(r).isInstanceOf(ParseResult.Parsed.class);
            String expected = Files.readString(expectOf(conf), StandardCharsets.UTF_8);
            assertThat(CanonicalDump.render(((ParseResult.Parsed) r).job())).isEqualTo(expected);
        }));
    }

    private static Stream<DynamicTest> badCases(Path dir) throws IOException {
        return confFiles(dir.resolve("bad")).map(conf -> DynamicTest.dynamicTest(conf.getFileName().toString(), () -> {
            Map<String, String> fields = new LinkedHashMap<>();
            for (String line : Files.readAllLines(expectOf(conf), StandardCharsets.UTF_8)) {
                int sep = line.indexOf(": ");
                if (sep > 0) {
                    fields.put(line.substring(0, sep), line.substring(sep + 2));
                }
            }
            ParseResult r = JobParser.parseFile(conf.getParent(), conf);
            assertThat(r).isInstanceOf(ParseResult.Failed.class);
            var problem = ((ParseResult.Failed) r).problem();
            assertThat(problem.line()).isEqualTo(Integer.parseInt(fields.get("line")));
            assertThat(problem.detail()).isEqualTo(fields.get("message"));
            assertThat(problem.code().className()).isEqualTo(fields.get("error"));
        }));
    }

    private static Stream<Path> confFiles(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.toString().endsWith(".conf")).sorted().toList().stream();
        }
    }

    private static Path expectOf(Path conf) {
        String name = conf.getFileName().toString();
        return conf.resolveSibling(name.substring(0, name.length() - ".conf".length()) + ".expect");
    }
}
