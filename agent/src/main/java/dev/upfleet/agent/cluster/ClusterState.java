package dev.upfleet.agent.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * What a node remembers of the cluster across restarts, in {@code STATE_DIR/cluster/}: the last etcd revision whose
 * event it applied (delivery resumes after it, so nothing is applied twice) and the high-water mark of its publish
 * sequence numbers (so a restarted agent never reuses one, which would make etcd drop the event as a retry).
 */
public final class ClusterState {
    /** Sequence numbers are reserved in blocks so the file is written once per block, not per event. */
    private static final long SEQ_BLOCK = 1000;

    private final Path applied;
    private final Path seqFile;
    private long appliedRevision;
    private long nextSeq;
    private long reservedUpTo;

    public ClusterState(Path stateDir) throws IOException {
        Path dir = stateDir.resolve("cluster");
        Files.createDirectories(dir);
        this.applied = dir.resolve("applied-revision");
        this.seqFile = dir.resolve("publish-seq");
        this.appliedRevision = read(applied);
        this.reservedUpTo = read(seqFile);
        this.nextSeq = reservedUpTo + 1;
    }

    public synchronized long appliedRevision() {
        return appliedRevision;
    }

    /** Records that every event up to {@code revision} has been applied (written before the next is applied). */
    public synchronized void applied(long revision) {
        if (revision > appliedRevision) {
            appliedRevision = revision;
            write(applied, revision);
        }
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
        if (!Files.exists(file)) {
            return 0;
        }
        String text = Files.readString(file, StandardCharsets.US_ASCII).trim();
        return text.isEmpty() ? 0 : Long.parseLong(text);
    }

    private static void write(Path file, long value) {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            Files.writeString(tmp, Long.toString(value), StandardCharsets.US_ASCII);
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
