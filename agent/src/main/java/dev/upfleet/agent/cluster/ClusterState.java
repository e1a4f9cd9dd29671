package dev.upfleet.agent.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * What a node remembers of the cluster across restarts, in {@code STATE_DIR/cluster/}: the position (etcd revision,
 * and index among the events stored at that revision) of the last event it applied — delivery resumes at that
 * revision and positions up to it are skipped, so nothing is applied twice or lost — and the high-water mark of its publish
 * sequence numbers (so a restarted agent never reuses one, which would make etcd drop the event as a retry).
 */
public final class ClusterState {
    /** Sequence numbers are reserved in blocks so the file is written once per block, not per event. */
    private static final long SEQ_BLOCK = 1000;

    private final Path applied;
    private final Path seqFile;
    private long appliedRevision;
    /** Index within {@link #appliedRevision} of the last applied event; {@link #WHOLE} when all of it is done. */
    private int appliedIndex;
    static final int WHOLE = Integer.MAX_VALUE;
    private long nextSeq;
    private long reservedUpTo;

    public ClusterState(Path stateDir) throws IOException {
        Path dir = stateDir.resolve("cluster");
        Files.createDirectories(dir);
        this.applied = dir.resolve("applied-revision");
        this.seqFile = dir.resolve("publish-seq");
        String[] position = readText(applied).split(" ");
        this.appliedRevision = position[0].isEmpty() ? 0 : Long.parseLong(position[0]);
        this.appliedIndex = position.length > 1 ? Integer.parseInt(position[1]) : WHOLE;
        this.reservedUpTo = read(seqFile);
        this.nextSeq = reservedUpTo + 1;
    }

    public synchronized long appliedRevision() {
        return appliedRevision;
    }

    /** Whether the event at this position was applied already (a redelivery after a reconnect). */
    public synchronized boolean isApplied(long revision, int index) {
        return revision < appliedRevision || (revision == appliedRevision && index <= appliedIndex);
    }

    /** Records the event at this position as applied (written before the next one is applied). */
    public synchronized void applied(long revision, int index) {
        if (!isApplied(revision, index)) {
            appliedRevision = revision;
            appliedIndex = index;
            writeText(applied, revision + " " + index);
        }
    }

    /** Records every event up to and including {@code revision} as handled (progress, resync). */
    public synchronized void appliedThrough(long revision) {
        applied(revision, WHOLE);
    }

    /** A fresh publish sequence number, never handed out before by this node. */
    public synchronized long nextSeq() {
        if (nextSeq > reservedUpTo) {
            reservedUpTo = nextSeq + SEQ_BLOCK - 1;
            write(seqFile, reservedUpTo);
        }
        return nextSeq++;
    }

    private static long read(Path file) throws IOException {
        String text = readText(file);
        return text.isEmpty() ? 0 : Long.parseLong(text);
    }

    private static String readText(Path file) throws IOException {
        return Files.exists(file) ? Files.readString(file, StandardCharsets.US_ASCII).trim() : "";
    }

    private static void write(Path file, long value) {
        writeText(file, Long.toString(value));
    }

    private static void writeText(Path file, String value) {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            Files.writeString(tmp, value, StandardCharsets.US_ASCII);
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
