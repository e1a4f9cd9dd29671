package dev.upfleet.agent.state;

import com.google.protobuf.CodedOutputStream;
import dev.upfleet.agent.engine.InstanceSnapshot;
import dev.upfleet.agent.process.ProcessIdentity;
import dev.upfleet.core.job.ProcessKind;
import dev.upfleet.proto.state.v1.InstanceRecord;
import dev.upfleet.proto.state.v1.ProcessRecord;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The state directory: what every live instance looks like, kept so that an agent killed with SIGKILL finds its jobs
 * when it comes back. Changes are written on the engine thread right after the task that made them, before the engine
 * takes its next input (so before a command that caused them is answered): a write may not wait in a queue behind the
 * next task. Not thread-safe: the engine thread calls it (and the composition root, before the engine runs).
 *
 * <p>Layout: one append-only journal, {@code journal}, of frames {@code [length u32][CRC-32C u32][InstanceRecord]};
 * a record whose goal is empty is a tombstone (the instance was destroyed). A task's changes are appended with ONE
 * {@code write(2)}, whatever their number: a burst of 1000 job starts costs one write instead of 1000 file creations
 * (≈ 0.8 ms of system time each on ext4), a respawn one small append instead of a write and a rename. Nothing is
 * synced: the guarantee is against the agent being killed (the page cache survives that), not against power loss.
 * A frame cut short by a kill in the middle of a write fails its length or checksum and ends the replay there.
 *
 * <p>At construction the journal is replayed (last frame per instance wins) and rewritten with only the live records
 * ({@code journal.new}, then an atomic rename): that drops a torn tail before anything is appended after it. The same
 * compaction runs whenever the journal has grown to several times its live size; it copies the live frames from the
 * journal itself, so the store keeps only where they are, not their bytes (over a megabyte at 1000 jobs, most of it the
 * environment every record repeats). Per-instance files of earlier versions ({@code instances/*.state}) are read
 * once, carried into the journal and deleted.
 */
public final class StateStore implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(StateStore.class);
    private static final String JOURNAL = "journal";
    private static final int HEADER = 8;
    /** Compact when the journal is larger than this many times its live bytes (plus {@link #SLACK}). */
    private static final int GROWTH = 4;
    private static final long SLACK = 256 * 1024;

    private final Path dir;
    private final Path journal;
    /** Start times by pid, read once per process, and the pids each instance lists (engine thread only). */
    private final Map<Long, ProcessIdentity> identities = new HashMap<>();
    private final Map<String, List<Long>> pidsByKey = new HashMap<>();
    /**
     * Where each live instance's latest frame is in the journal, in the order they were written (a frame replaced is
     * re-inserted last): a compaction copies these ranges as they are, and their sizes make the compaction threshold.
     */
    private final Map<String, Span> live = new LinkedHashMap<>();
    private List<InstanceRecord> previous;
    private long liveBytes;
    private long journalBytes;
    private FileChannel out;

    public StateStore(Path stateDir) throws IOException {
        this.dir = stateDir;
        this.journal = stateDir.resolve(JOURNAL);
        Files.createDirectories(stateDir);
        Map<String, InstanceRecord> found = new LinkedHashMap<>();
        Path legacy = stateDir.resolve("instances");
        List<Path> legacyFiles = readLegacy(legacy, found);
        long whole = -1; // unknown: the journal could not be read
        try {
            whole = replay(found);
        } catch (IOException e) {
            LOG.warn("state directory: cannot read {}: {}", journal, e.getMessage());
        }
        this.previous = List.copyOf(found.values());
        if (whole < 0) {
            keepWholeFrames(whole); // never replace a journal that could not be read
            return;
        }
        try {
            rewrite(found.values());
            for (Path f : legacyFiles) {
                Files.deleteIfExists(f);
                Files.deleteIfExists(f.resolveSibling(f.getFileName() + ".tmp"));
            }
        } catch (IOException e) {
            // As before the journal, an unwritable state directory does not stop the agent; each write warns.
            LOG.warn("state directory: cannot rewrite {}: {}", journal, e.getMessage());
            keepWholeFrames(whole);
        }
    }

    /**
     * When the journal could not be rewritten (or read): cut a torn tail (after {@code whole} bytes; -1 when unknown),
     * so appends do not land behind it. The live frames stay where the replay found them (none when it failed).
     */
    private void keepWholeFrames(long whole) {
        if (whole < 0) {
            live.clear();
            liveBytes = 0;
        }
        journalBytes = Math.max(whole, 0);
        if (whole < 0 || !Files.exists(journal)) {
            return;
        }
        try (FileChannel channel = FileChannel.open(journal, StandardOpenOption.WRITE)) {
            if (channel.size() > whole) {
                channel.truncate(whole);
            }
        } catch (IOException e) {
            LOG.warn("state directory: cannot truncate {}: {}", journal, e.getMessage());
        }
    }

    /** Every record a previous agent left, handed over once: the store keeps no copy. */
    public List<InstanceRecord> takeAll() {
        List<InstanceRecord> all = previous;
        previous = List.of();
        return all;
    }

    /** Appends the snapshots (called on the engine thread, after each task): one write for all of them. */
    public void record(List<InstanceSnapshot> changes) {
        if (changes.isEmpty()) {
            return;
        }
        Batch batch = new Batch();
        for (InstanceSnapshot s : changes) {
            String key = key(s.job(), s.instance());
            List<Long> before = pidsByKey.remove(key);
            if (before != null) {
                for (Long pid : before) {
                    if (s.gone() || !s.pids().containsValue(pid)) {
                        identities.remove(pid);
                    }
                }
            }
            if (s.gone()) {
                batch.add(key, tombstone(s.job(), s.instance()).toByteArray(), List.of(), false);
                continue;
            }
            pidsByKey.put(key, List.copyOf(s.pids().values()));
            InstanceRecord.Builder record = InstanceRecord.newBuilder().setJob(s.job()).setInstance(s.instance())
                    .setGoal(s.goal().wireName()).setState(s.state().wireName())
                    .setUpdatedUnixMillis(System.currentTimeMillis());
            for (Map.Entry<ProcessKind, Long> p : s.pids().entrySet()) {
                ProcessIdentity id = identities.computeIfAbsent(p.getValue(),
                        pid -> ProcessIdentity.of(pid).orElse(new ProcessIdentity(pid, 0)));
                record.addProcesses(ProcessRecord.newBuilder().setKind(p.getKey().wireName()).setPid(id.pid())
                        .setStartTime(id.startTime()));
            }
            // A message's fields may come in any order: the env fields, encoded straight from the snapshot's list into
            // the batch (not copied into the builder first), follow the rest.
            batch.add(key, record.build().toByteArray(), s.env(), true);
        }
        append(batch);
    }

    /** Removes one instance's record (it was not re-adopted). */
    public void forget(String job, String instance) {
        Batch batch = new Batch();
        batch.add(key(job, instance), tombstone(job, instance).toByteArray(), List.of(), false);
        append(batch);
    }

    /** A live instance's latest frame: {@code length} bytes from {@code position} of the journal. */
    private record Span(long position, int length) {}

    /**
     * The frames of one append, and which instances they make live or remove: applied to {@link #live} only once the
     * write succeeded, so that every span always points at a whole frame in the journal.
     */
    private static final class Batch {
        /**
         * One frame of the batch, a live record's or a tombstone's, at {@code offset}: its payload is {@code head}
         * followed by {@code env} as {@code InstanceRecord.env} fields, {@code length} bytes with the header.
         */
        record Frame(String key, byte[] head, List<String> env, int offset, int length, boolean live) {}

        final List<Frame> frames = new ArrayList<>();
        int size;

        void add(String key, byte[] head, List<String> env, boolean live) {
            int length = HEADER + head.length;
            for (String e : env) {
                length += CodedOutputStream.computeStringSize(InstanceRecord.ENV_FIELD_NUMBER, e);
            }
            frames.add(new Frame(key, head, env, size, length, live));
            size += length;
        }

        /**
         * The frames, encoded into one array of exactly their size: a boot's batch holds every job's environment, and
         * growing a stream and copying it out made the journal the agent's largest allocator.
         */
        byte[] encode() {
            byte[] out = new byte[size];
            ByteBuffer headers = ByteBuffer.wrap(out);
            CRC32C crc = new CRC32C();
            for (Frame f : frames) {
                int payload = f.offset() + HEADER;
                int payloadLength = f.length() - HEADER;
                System.arraycopy(f.head(), 0, out, payload, f.head().length);
                CodedOutputStream coded = CodedOutputStream.newInstance(out, payload + f.head().length,
                        payloadLength - f.head().length);
                try {
                    for (String e : f.env()) {
                        coded.writeString(InstanceRecord.ENV_FIELD_NUMBER, e);
                    }
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e); // the frame was sized for exactly these fields
                }
                coded.checkNoSpaceLeft();
                crc.reset();
                crc.update(out, payload, payloadLength);
                headers.putInt(f.offset(), payloadLength).putInt(f.offset() + 4, (int) crc.getValue());
            }
            return out;
        }
    }

    private static InstanceRecord tombstone(String job, String instance) {
        return InstanceRecord.newBuilder().setJob(job).setInstance(instance).build();
    }

    static String key(String job, String instance) {
        return job + '\0' + instance;
    }

    /** Makes the batch's frames the live ones, as if they had been written at {@code start} of the journal. */
    private void apply(Batch batch, long start) {
        for (Batch.Frame f : batch.frames) {
            track(f.key(), f.live() ? new Span(start + f.offset(), f.length()) : null);
        }
    }

    /** Makes {@code span} the key's live frame, or removes the key with null. */
    private void track(String key, Span span) {
        Span old = live.remove(key); // re-inserted last: the map keeps the order of the journal
        if (span != null) {
            live.put(key, span);
            liveBytes += span.length();
        }
        liveBytes -= old == null ? 0 : old.length();
    }

    private void append(Batch batch) {
        ByteBuffer data = ByteBuffer.wrap(batch.encode());
        long start = journalBytes;
        try {
            if (out == null) {
                out = FileChannel.open(journal, StandardOpenOption.CREATE, StandardOpenOption.READ,
                        StandardOpenOption.WRITE);
            }
            while (data.hasRemaining()) {
                journalBytes += out.write(data, journalBytes);
            }
        } catch (IOException e) {
            LOG.warn("state directory: cannot write {}: {}", journal, e.getMessage());
            // A part written would end a replay there: cut it, so that the next append follows the last whole frame.
            journalBytes = start;
            try {
                out.truncate(start);
            } catch (IOException | RuntimeException ignored) {
                // the channel is gone too: the next append reopens the file and writes at the same offset
            }
            closeQuietly();
            return;
        }
        apply(batch, start);
        if (journalBytes > GROWTH * liveBytes + SLACK) {
            try {
                compact();
            } catch (IOException e) {
                LOG.warn("state directory: cannot compact {}: {}", journal, e.getMessage());
            }
        }
    }

    /** Rewrites the journal with the live frames only, copied from the journal in the order they were written. */
    private void compact() throws IOException {
        Path fresh = dir.resolve(JOURNAL + ".new");
        long written = 0;
        try (FileChannel to = FileChannel.open(fresh, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            Map<String, Span> moved = new LinkedHashMap<>();
            long runStart = -1;
            long runEnd = -1;
            for (Map.Entry<String, Span> e : live.entrySet()) {
                Span span = e.getValue();
                if (span.position() != runEnd) { // adjacent frames are copied as one range
                    written += copy(runStart, runEnd, to, written);
                    runStart = span.position();
                }
                runEnd = span.position() + span.length();
                moved.put(e.getKey(), new Span(written + span.position() - runStart, span.length()));
            }
            written += copy(runStart, runEnd, to, written);
            swapIn(fresh, written);
            live.clear();
            live.putAll(moved);
        }
    }

    /** Copies the journal's bytes [from, to) to {@code target} at {@code at}; returns their number. */
    private long copy(long from, long to, FileChannel target, long at) throws IOException {
        long done = 0;
        while (from + done < to) {
            long n = out.transferTo(from + done, to - from - done, target.position(at + done));
            if (n <= 0) {
                throw new IOException("journal shorter than its frames");
            }
            done += n;
        }
        return done;
    }

    /**
     * Reads the journal's frames into {@code found} (last one per instance wins; tombstones remove), and where they are
     * into {@link #live}; returns the length of the whole frames read (a torn or corrupt frame ends the replay).
     */
    private long replay(Map<String, InstanceRecord> found) throws IOException {
        if (!Files.exists(journal)) {
            return 0;
        }
        ByteBuffer data = ByteBuffer.wrap(Files.readAllBytes(journal));
        long whole = 0;
        while (data.remaining() >= HEADER) {
            int length = data.getInt();
            int sum = data.getInt();
            if (length < 0 || length > data.remaining()) {
                break; // cut short by a kill during the write: everything before it is whole
            }
            byte[] payload = new byte[length];
            data.get(payload);
            CRC32C crc = new CRC32C();
            crc.update(payload);
            if ((int) crc.getValue() != sum) {
                break;
            }
            InstanceRecord r;
            try {
                r = InstanceRecord.parseFrom(payload);
            } catch (IOException e) {
                break;
            }
            Span span = new Span(whole, (int) (data.position() - whole));
            whole = data.position();
            String key = key(r.getJob(), r.getInstance());
            found.remove(key); // re-inserted last: the map keeps the order of the latest changes
            if (r.getGoal().isEmpty()) {
                track(key, null);
            } else {
                found.put(key, r);
                track(key, span);
            }
        }
        return whole;
    }

    /** Writes a fresh journal holding exactly {@code records} and swaps it in atomically. */
    private void rewrite(Iterable<InstanceRecord> records) throws IOException {
        Batch batch = new Batch();
        for (InstanceRecord r : records) {
            batch.add(key(r.getJob(), r.getInstance()), r.toByteArray(), List.of(), true);
        }
        Path fresh = dir.resolve(JOURNAL + ".new");
        Files.write(fresh, batch.encode());
        swapIn(fresh, batch.size);
        live.clear();
        liveBytes = 0;
        apply(batch, 0);
    }

    /** Renames {@code fresh}, of {@code length} bytes, over the journal; the next append opens the new one. */
    private void swapIn(Path fresh, long length) throws IOException {
        try {
            Files.move(fresh, journal, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(fresh, journal, StandardCopyOption.REPLACE_EXISTING);
        }
        closeQuietly();
        journalBytes = length;
    }

    /** Records of the one-file-per-instance layout of earlier versions; returns the files read. */
    private static List<Path> readLegacy(Path legacy, Map<String, InstanceRecord> live) {
        List<Path> files = new ArrayList<>();
        if (!Files.isDirectory(legacy)) {
            return files;
        }
        try (DirectoryStream<Path> found = Files.newDirectoryStream(legacy, "*.state")) {
            for (Path f : found) {
                files.add(f);
                try {
                    InstanceRecord r = InstanceRecord.parseFrom(Files.readAllBytes(f));
                    live.put(key(r.getJob(), r.getInstance()), r);
                } catch (IOException e) {
                    LOG.warn("state directory: dropping unreadable {}", f);
                }
            }
        } catch (IOException e) {
            LOG.warn("state directory: cannot list {}: {}", legacy, e.getMessage());
        }
        return files;
    }

    private void closeQuietly() {
        if (out != null) {
            try {
                out.close();
            } catch (IOException ignored) {
                // nothing is buffered in a FileChannel
            }
            out = null;
        }
    }

    @Override
    public void close() {
        // Nothing buffered: every change is in the journal when its task ends.
        closeQuietly();
    }
}
