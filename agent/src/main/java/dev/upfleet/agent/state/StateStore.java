package dev.upfleet.agent.state;

import com.google.protobuf.CodedOutputStream;
import dev.upfleet.agent.engine.InstanceSnapshot;
import dev.upfleet.agent.process.ProcessIdentity;
import dev.upfleet.core.job.ProcessKind;
import dev.upfleet.proto.state.v1.InstanceRecord;
import dev.upfleet.proto.state.v1.ProcessRecord;
import java.io.ByteArrayOutputStream;
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
 * compaction runs whenever the journal has grown to several times its live size. Per-instance files of earlier
 * versions ({@code instances/*.state}) are read once, carried into the journal and deleted.
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
     * Each live instance's latest frame, as written: a compaction writes these out as they are (no re-reading of the
     * journal, no re-encoding), and their sizes make the compaction threshold.
     */
    private final Map<String, Live> liveFrames = new LinkedHashMap<>();
    private final List<InstanceRecord> previous;
    private long liveBytes;
    private long journalBytes;
    private FileChannel out;

    public StateStore(Path stateDir) throws IOException {
        this.dir = stateDir;
        this.journal = stateDir.resolve(JOURNAL);
        Files.createDirectories(stateDir);
        Map<String, InstanceRecord> live = new LinkedHashMap<>();
        Path legacy = stateDir.resolve("instances");
        List<Path> legacyFiles = readLegacy(legacy, live);
        long whole = -1; // unknown: the journal could not be read
        try {
            whole = replay(live);
        } catch (IOException e) {
            LOG.warn("state directory: cannot read {}: {}", journal, e.getMessage());
        }
        this.previous = List.copyOf(live.values());
        if (whole < 0) {
            keepWholeFrames(whole, live.values()); // never replace a journal that could not be read
            return;
        }
        try {
            rewrite(live.values());
            for (Path f : legacyFiles) {
                Files.deleteIfExists(f);
                Files.deleteIfExists(f.resolveSibling(f.getFileName() + ".tmp"));
            }
        } catch (IOException e) {
            // As before the journal, an unwritable state directory does not stop the agent; each write warns.
            LOG.warn("state directory: cannot rewrite {}: {}", journal, e.getMessage());
            keepWholeFrames(whole, live.values());
        }
    }

    /**
     * When the journal could not be rewritten (or read): cut a torn tail (after {@code whole} bytes; -1 when unknown),
     * so appends do not land behind it, and count the live records for the compaction threshold.
     */
    private void keepWholeFrames(long whole, Iterable<InstanceRecord> live) {
        liveFrames.clear();
        liveBytes = 0;
        ByteArrayOutputStream ignored = new ByteArrayOutputStream();
        for (InstanceRecord r : live) {
            frameRead(ignored, key(r.getJob(), r.getInstance()), r.toByteArray());
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

    /** Every record a previous agent left. */
    public List<InstanceRecord> readAll() {
        return previous;
    }

    /** Appends the snapshots (called on the engine thread, after each task): one write for all of them. */
    public void record(List<InstanceSnapshot> changes) {
        if (changes.isEmpty()) {
            return;
        }
        ByteArrayOutputStream buffer = new ByteArrayOutputStream(changes.size() * 512);
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
                frame(buffer, key, tombstone(s.job(), s.instance()).toByteArray(), null, 0);
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
            // A message's fields may come in any order: the encoded env fields are appended to the rest. The
            // environment rarely changes between transitions and encoding it dominated, so an unchanged one is copied
            // from the instance's previous frame (kept anyway, for compaction) rather than encoded again.
            byte[] rest = record.build().toByteArray();
            Live previous = liveFrames.get(key);
            byte[] payload;
            if (previous != null && previous.env() != null && previous.env().equals(s.env())) {
                int envLength = previous.frame().length - previous.envStart();
                payload = java.util.Arrays.copyOf(rest, rest.length + envLength);
                System.arraycopy(previous.frame(), previous.envStart(), payload, rest.length, envLength);
            } else {
                byte[] env = encodeEnv(s.env());
                payload = java.util.Arrays.copyOf(rest, rest.length + env.length);
                System.arraycopy(env, 0, payload, rest.length, env.length);
            }
            frame(buffer, key, payload, s.env(), HEADER + rest.length);
        }
        append(buffer);
    }

    /**
     * A live instance's latest frame; with {@code env} non-null, the frame ends with that environment's encoding,
     * from {@code envStart} on.
     */
    private record Live(byte[] frame, List<String> env, int envStart) {}

    /** Removes one instance's record (it was not re-adopted). */
    public void forget(String job, String instance) {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream(64);
        frame(buffer, key(job, instance), tombstone(job, instance).toByteArray(), null, 0);
        append(buffer);
    }

    /** An environment's encoding as {@code InstanceRecord.env} fields. */
    private static byte[] encodeEnv(List<String> env) {
        int size = 0;
        for (String e : env) {
            size += CodedOutputStream.computeStringSize(InstanceRecord.ENV_FIELD_NUMBER, e);
        }
        byte[] encoded = new byte[size];
        CodedOutputStream coded = CodedOutputStream.newInstance(encoded);
        try {
            for (String e : env) {
                coded.writeString(InstanceRecord.ENV_FIELD_NUMBER, e);
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e); // the array was sized for exactly these fields
        }
        coded.checkNoSpaceLeft();
        return encoded;
    }

    private static InstanceRecord tombstone(String job, String instance) {
        return InstanceRecord.newBuilder().setJob(job).setInstance(instance).build();
    }

    static String key(String job, String instance) {
        return job + '\0' + instance;
    }

    /**
     * Adds a live record read back from the journal: its environment is not split off (the frame ends with the empty
     * environment's encoding, so the next transition encodes the instance's environment afresh).
     */
    private void frameRead(ByteArrayOutputStream buffer, String key, byte[] payload) {
        frame(buffer, key, payload, List.of(), HEADER + payload.length);
    }

    /**
     * Adds one frame to the buffer and to the live frames: a live record whose encoding ends with {@code env}'s from
     * {@code envStart} on, or a tombstone when {@code env} is null.
     */
    private void frame(ByteArrayOutputStream buffer, String key, byte[] payload, List<String> env, int envStart) {
        CRC32C crc = new CRC32C();
        crc.update(payload);
        byte[] frame = ByteBuffer.allocate(HEADER + payload.length).putInt(payload.length).putInt((int) crc.getValue())
                .put(payload).array();
        buffer.writeBytes(frame);
        Live old = liveFrames.remove(key); // re-inserted last: the map keeps the order of the latest changes
        if (env != null) {
            liveFrames.put(key, new Live(frame, env, envStart));
        }
        liveBytes += (env != null ? frame.length : 0) - (old == null ? 0 : old.frame().length);
    }

    private void append(ByteArrayOutputStream buffer) {
        ByteBuffer data = ByteBuffer.wrap(buffer.toByteArray());
        try {
            if (out == null) {
                out = FileChannel.open(journal, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                        StandardOpenOption.APPEND);
            }
            while (data.hasRemaining()) {
                journalBytes += out.write(data);
            }
            if (journalBytes > GROWTH * liveBytes + SLACK) {
                compact();
            }
        } catch (IOException e) {
            LOG.warn("state directory: cannot write {}: {}", journal, e.getMessage());
            closeQuietly();
        }
    }

    /** Rewrites the journal with the live frames only. */
    private void compact() throws IOException {
        closeQuietly();
        ByteArrayOutputStream buffer = new ByteArrayOutputStream((int) Math.min(Integer.MAX_VALUE, liveBytes));
        liveFrames.values().forEach(live -> buffer.writeBytes(live.frame()));
        swapIn(buffer);
    }

    /**
     * Reads the journal's frames into {@code live} (last one per instance wins; tombstones remove); returns the length
     * of the whole frames read (a torn or corrupt frame ends the replay).
     */
    private long replay(Map<String, InstanceRecord> live) throws IOException {
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
            whole = data.position();
            String key = key(r.getJob(), r.getInstance());
            if (r.getGoal().isEmpty()) {
                live.remove(key);
            } else {
                live.remove(key); // re-inserted last: the map keeps the order of the latest changes
                live.put(key, r);
            }
        }
        return whole;
    }

    /** Writes a fresh journal holding exactly {@code records} and swaps it in atomically. */
    private void rewrite(Iterable<InstanceRecord> records) throws IOException {
        closeQuietly();
        liveFrames.clear();
        liveBytes = 0;
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        for (InstanceRecord r : records) {
            frameRead(buffer, key(r.getJob(), r.getInstance()), r.toByteArray());
        }
        swapIn(buffer);
    }

    private void swapIn(ByteArrayOutputStream buffer) throws IOException {
        Path fresh = dir.resolve(JOURNAL + ".new");
        Files.write(fresh, buffer.toByteArray());
        try {
            Files.move(fresh, journal, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(fresh, journal, StandardCopyOption.REPLACE_EXISTING);
        }
        journalBytes = buffer.size();
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
