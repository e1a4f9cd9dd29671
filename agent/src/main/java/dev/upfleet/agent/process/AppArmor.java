package dev.upfleet.agent.process;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.List;
import java.util.Optional;

/**
 * Upstart's {@code apparmor_available}, with the paths it reads injectable (tests use a fake parser on machines
 * without AppArmor). AppArmor counts as enabled when the kernel module's {@code enabled} parameter starts with
 * {@code Y}, the parser is an executable regular file, and none of Ubuntu's "do not load" markers exists (a container
 * type file, a live CD's read-only root). Both {@code apparmor load} (the security process) and {@code apparmor switch}
 * act only then; otherwise both are silently skipped, as in Upstart.
 *
 * @param enabledFile the kernel's "is AppArmor enabled" parameter
 * @param parser      the profile loader run as {@code PARSER -r -W PROFILE}
 * @param markers     files whose presence disables AppArmor handling
 * @param profiles    the kernel's list of loaded profiles ({@code NAME (MODE)} lines)
 */
public record AppArmor(Path enabledFile, Path parser, List<Path> markers, Path profiles) {
    public AppArmor {
        markers = List.copyOf(markers);
    }

    public static AppArmor system() {
        return new AppArmor(Path.of("/sys/module/apparmor/parameters/enabled"), Path.of("/sbin/apparmor_parser"),
                List.of(Path.of("/run/container_type"), Path.of("/rofs/etc/apparmor.d")),
                Path.of("/sys/kernel/security/apparmor/profiles"));
    }

    /** AppArmor off everywhere (tests that must not depend on the machine). */
    public static AppArmor disabled() {
        return new AppArmor(Path.of("/nonexistent/apparmor/enabled"), Path.of("/nonexistent/apparmor_parser"),
                List.of(), Path.of("/nonexistent/apparmor/profiles"));
    }

    /**
     * False when the kernel's profile list can be read and does not name {@code profile}: switching to it would fail
     * with ENOENT in the child, which Upstart reports as a spawn failure; catching it here does the same. True when
     * it is listed or the list cannot be read (the child then finds out).
     */
    public boolean mayBeLoaded(String profile) {
        try (var lines = Files.lines(profiles)) {
            return lines.anyMatch(line -> line.equals(profile) || line.startsWith(profile + " ("));
        } catch (IOException | java.io.UncheckedIOException e) {
            return true;
        }
    }

    /** The parser when AppArmor is enabled now; read on every call, as Upstart does on every start. */
    public Optional<String> parserIfEnabled() {
        try {
            String enabled = Files.readString(enabledFile);
            if (!enabled.startsWith("Y")) {
                return Optional.empty();
            }
            if (!Files.isRegularFile(parser)
                    || !Files.getPosixFilePermissions(parser).contains(PosixFilePermission.OWNER_EXECUTE)) {
                return Optional.empty();
            }
        } catch (IOException | UnsupportedOperationException e) {
            return Optional.empty();
        }
        for (Path marker : markers) {
            if (Files.exists(marker)) {
                return Optional.empty();
            }
        }
        return Optional.of(parser.toString());
    }
}
