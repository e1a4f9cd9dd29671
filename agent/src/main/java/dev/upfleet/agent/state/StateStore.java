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
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
     * Where each live instance's frames are in the journal, in the order they were written (an instance changed is
     * re-inserted last): a compaction copies these ranges as they are, and their sizes make the compaction threshold.
     */
    private final Map<String, Live> live = new LinkedHashMap<>();
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
        Set<String> inBatch = new HashSet<>();
        for (InstanceSnapshot s : changes) {
            String key = key(s.job(), s.instance());
            boolean firstInBatch = inBatch.add(key);
            List<Long> before = pidsByKey.remove(key);
            if (before != null) {
                for (Long pid : before) {
                    if (s.gone() || !s.pids().containsValue(pid)) {
                        identities.remove(pid);
                    }
                }
            }
            if (s.gone()) {
                batch.add(key, tombstone(s.job(), s.instance()).toByteArray(), null, false);
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
            // The environment, some 1.3 KB of every record, rarely changes between transitions: a record whose instance's
            // last record has the same one says so instead (a boot then writes it once per job, not eight times). A
            // message's fields may come in any order: the env fields, encoded straight from the snapshot's list into
            // the batch (not copied into the builder first), follow the rest.
            Live last = firstInBatch ? live.get(key) : null; // a key twice in a batch: the first is not applied yet
            boolean same = last != null && last.envList().equals(s.env());
            batch.add(key, record.setEnvAsBefore(same).build().toByteArray(), s.env(), same);
        }
        append(batch);
    }

    /** Removes one instance's record (it was not re-adopted). */
    public void forget(String job, String instance) {
        Batch batch = new Batch();
        batch.add(key(job, instance), tombstone(job, instance).toByteArray(), null, false);
        append(batch);
    }

    /** A frame: {@code length} bytes from {@code position} of the journal. */
    private record Span(long position, int length) {}

    /**
     * A live instance: its latest frame, and the latest that carries its environment {@code envList} (the same one, or
     * an earlier one when the later say {@code env_as_before}).
     */
    private record Live(Span state, Span env, List<String> envList) {
        long bytes() {
            return state.length() + (env.equals(state) ? 0 : env.length());
        }
    }

    /**
     * The frames of one append, and which instances they make live or remove: applied to {@link #live} only once the
     * write succeeded, so that every span always points at a whole frame in the journal.
     */
    private static final class Batch {
        /**
         * One frame of the batch at {@code offset}, {@code length} bytes with the header: its payload is {@code head}
         * (the record without its environment), then the instance's environment {@code envList} as
         * {@code InstanceRecord.env} fields unless {@code sameEnv} (the record refers to the instance's previous one
         * for it). {@code envList} is null for a tombstone.
         */
        record Frame(String key, byte[] head, List<String> envList, boolean sameEnv, int offset, int length) {}

        final List<Frame> frames = new ArrayList<>();
        int size;

        void add(String key, byte[] head, List<String> envList, boolean sameEnv) {
            int length = HEADER + head.length;
            for (String e : envWritten(envList, sameEnv)) {
                length += CodedOutputStream.computeStringSize(InstanceRecord.ENV_FIELD_NUMBER, e);
            }
            frames.add(new Frame(key, head, envList, sameEnv, size, length));
            size += length;
        }

        private static List<String> envWritten(List<String> envList, boolean sameEnv) {
            return envList == null || sameEnv ? List.of() : envList;
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
                    for (String e : envWritten(f.envList(), f.sameEnv())) {
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
            if (f.envList() == null) {
                track(f.key(), null);
            } else {
                track(f.key(), next(live.get(f.key()), new Span(start + f.offset(), f.length()), f.sameEnv(),
                        f.envList()));
            }
        }
    }

    /** The instance after a new frame: one saying {@code env_as_before} keeps the frame with the environment. */
    private static Live next(Live old, Span frame, boolean sameEnv, List<String> env) {
        return sameEnv && old != null ? new Live(frame, old.env(), old.envList()) : new Live(frame, frame, env);
    }

    /** Makes {@code next} the key's live frames, or removes the key with null. */
    private void track(String key, Live next) {
        Live old = live.remove(key); // re-inserted last: the map keeps the order of the journal
        if (next != null) {
            live.put(key, next);
            liveBytes += next.bytes();
        }
        liveBytes -= old == null ? 0 : old.bytes();
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
            if (out != null) {
                try {
                    out.truncate(start);
                } catch (IOException ignored) {
                    // the next append writes at the same offset, over what this one left
                }
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

    /**
     * Rewrites the journal with the live frames only, copied from the journal: per instance the frame with its
     * environment, when older, then its latest.
     */
    private void compact() throws IOException {
        Path fresh = dir.resolve(JOURNAL + ".new");
        try (FileChannel to = FileChannel.open(fresh, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            Copier copier = new Copier(out, to);
            Map<String, Live> moved = new LinkedHashMap<>();
            for (Map.Entry<String, Live> e : live.entrySet()) {
                Live l = e.getValue();
                Span env = l.env().equals(l.state()) ? null : copier.place(l.env());
                Span state = copier.place(l.state());
                moved.put(e.getKey(), new Live(state, env == null ? state : env, l.envList()));
            }
            swapIn(fresh, copier.finish());
            live.clear();
            live.putAll(moved);
        }
    }

    /** Copies frames from one journal to the next, adjacent ones as one range. */
    private static final class Copier {
        private final FileChannel from;
        private final FileChannel to;
        private long written;
        private long runStart = -1;
        private long runEnd = -1;

        Copier(FileChannel from, FileChannel to) {
            this.from = from;
            this.to = to;
        }

        /** Where {@code span} will be in the new journal. */
        Span place(Span span) throws IOException {
            if (span.position() != runEnd) {
                flush();
                runStart = span.position();
            }
            runEnd = span.position() + span.length();
            return new Span(written + span.position() - runStart, span.length());
        }

        /** Copies what is left; returns the new journal's length. */
        long finish() throws IOException {
            flush();
            return written;
        }

        private void flush() throws IOException {
            long done = 0;
            while (runStart + done < runEnd) {
                long n = from.transferTo(runStart + done, runEnd - runStart - done, to.position(written + done));
                if (n <= 0) {
                    throw new IOException("journal shorter than its frames");
                }
                done += n;
            }
            written += done;
            runStart = -1;
            runEnd = -1;
        }
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
            InstanceRecord before = found.remove(key); // re-inserted last: the map keeps the order of the latest changes
            if (r.getGoal().isEmpty()) {
                track(key, null);
                continue;
            }
            boolean sameEnv = r.getEnvAsBefore();
            if (sameEnv) {
                r = r.toBuilder().setEnvAsBefore(false).addAllEnv(before == null ? List.of() : before.getEnvList())
                        .build();
            }
            found.put(key, r);
            track(key, next(live.get(key), span, sameEnv, List.copyOf(r.getEnvList())));
        }
        return whole;
    }

    /** Writes a fresh journal holding exactly {@code records} and swaps it in atomically. */
    private void rewrite(Iterable<InstanceRecord> records) throws IOException {
        Batch batch = new Batch();
        for (InstanceRecord r : records) {
            batch.add(key(r.getJob(), r.getInstance()), r.toBuilder().clearEnv().build().toByteArray(),
                    List.copyOf(r.getEnvList()), false);
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
