package dev.upfleet.core.job;

/**
 * What a process slot runs: an {@code exec} command line (stored raw, quotes kept) or a {@code script} body
 * (dedented, each line ending in LF).
 */
public sealed interface Command {
    String text();

    record Exec(String text) implements Command {}

    record Script(String text) implements Command {}
}
