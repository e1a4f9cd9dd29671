package dev.upfleet.agent.process;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Resolves {@code setuid}/{@code setgid} names from {@code /etc/passwd} and {@code /etc/group} in the parent, so a
 * bad name is a spawn failure before anything runs (Upstart: "unable to find setuid user"). Only local files are
 * read; NSS sources such as LDAP are not consulted (honest limit: a name known only to NSS is reported missing).
 */
final class Accounts {
    record User(String name, long uid, long gid) {}

    private final Path passwd;
    private final Path group;

    Accounts(Path etc) {
        this.passwd = etc.resolve("passwd");
        this.group = etc.resolve("group");
    }

    Optional<User> user(String name) {
        return lines(passwd).stream()
                .map(l -> l.split(":", -1))
                .filter(f -> f.length >= 4 && f[0].equals(name))
                .findFirst()
                .map(f -> new User(f[0], Long.parseLong(f[2]), Long.parseLong(f[3])));
    }

    Optional<Long> groupId(String name) {
        return lines(group).stream()
                .map(l -> l.split(":", -1))
                .filter(f -> f.length >= 3 && f[0].equals(name))
                .findFirst()
                .map(f -> Long.parseLong(f[2]));
    }

    private static List<String> lines(Path file) {
        try {
            return Files.readAllLines(file);
        } catch (IOException e) {
            return List.of();
        }
    }
}
