package dev.upfleet.agent.process;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** /proc inspections for tests: zombies among our children, members of a process group. */
final class Zombies {
    private Zombies() {}

    /** No child of {@code parent} stays a zombie (polled: the reaper may be just about to reap one). */
    static void assertNoneUnder(long parent) {
        RecordingObserver.await(() -> zombieChildren(parent).isEmpty(), "no zombie children of " + parent);
        assertThat(zombieChildren(parent)).isEmpty();
    }

    static List<Long> zombieChildren(long parent) {
        List<Long> out = new ArrayList<>();
        for (long pid : ProcStat.children(parent)) {
            ProcStat.read(pid).filter(ProcStat::zombie).ifPresent(s -> out.add(pid));
        }
        return out;
    }

    /** Live (non-zombie) processes in process group {@code pgid}. */
    static List<Long> groupMembers(long pgid) {
        List<Long> out = new ArrayList<>();
        try (var dir = Files.newDirectoryStream(Path.of("/proc"))) {
            for (Path p : dir) {
                String n = p.getFileName().toString();
                if (n.chars().allMatch(Character::isDigit)) {
                    ProcStat.read(Long.parseLong(n)).filter(s -> s.pgrp() == pgid && !s.zombie())
                            .ifPresent(s -> out.add(s.pid()));
                }
            }
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        return out;
    }
}
