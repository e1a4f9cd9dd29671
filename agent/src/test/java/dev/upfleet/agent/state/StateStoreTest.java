package dev.upfleet.agent.state;

import static org.assertj.core.api.Assertions.assertThat;

import dev.upfleet.agent.engine.Goal;
import dev.upfleet.agent.engine.InstanceSnapshot;
import dev.upfleet.agent.engine.JobState;
import dev.upfleet.core.job.ProcessKind;
import dev.upfleet.proto.state.v1.InstanceRecord;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The state directory's journal: what a restarted agent reads back after the previous one was killed. */
class StateStoreTest {
    @TempDir
    Path dir;

    private static InstanceSnapshot running(String job, long pid) {
        return new InstanceSnapshot(job, "", Goal.START, JobState.RUNNING, List.of("A=1"), Map.of(ProcessKind.MAIN, pid),
                false);
    }

    private static InstanceSnapshot gone(String job) {
        return new InstanceSnapshot(job, "", Goal.STOP, JobState.WAITING, List.of(), Map.of(), true);
    }

    private static List<String> summary(List<InstanceRecord> records) {
        return records.stream().map(r -> r.getJob() + " " + r.getGoal() + "/" + r.getState() + " "
                + r.getProcessesList().stream().map(p -> p.getKind() + ":" + p.getPid()).toList()).toList();
    }

    @Test
    void everyTaskBatchIsReadBackWithoutClose() throws Exception {
        StateStore store = new StateStore(dir);
        assertThat(store.takeAll()).isEmpty();
        store.record(List.of(running("a", 11), running("b", 12), running("c", 13)));
        store.record(List.of(running("a", 21), gone("b")));
        // No close: as after SIGKILL.
        assertThat(summary(new StateStore(dir).takeAll())).containsExactly("c start/running [main:13]",
                "a start/running [main:21]");
    }

    @Test
    void aFrameCutShortEndsTheReplayAndIsDroppedBeforeTheNextAppend() throws Exception {
        StateStore store = new StateStore(dir);
        store.record(List.of(running("a", 11)));
        store.record(List.of(running("b", 12)));
        Path journal = dir.resolve("journal");
        byte[] whole = Files.readAllBytes(journal);
        Files.write(journal, java.util.Arrays.copyOf(whole, whole.length - 3)); // a kill in the middle of the write

        StateStore again = new StateStore(dir);
        assertThat(summary(again.takeAll())).containsExactly("a start/running [main:11]");
        again.record(List.of(running("c", 13)));
        assertThat(summary(new StateStore(dir).takeAll())).containsExactly("a start/running [main:11]",
                "c start/running [main:13]");
    }

    @Test
    void aCorruptFrameEndsTheReplay() throws Exception {
        StateStore store = new StateStore(dir);
        store.record(List.of(running("a", 11)));
        Files.write(dir.resolve("journal"), new byte[] {0, 0, 0, 2, 1, 2, 3, 4, 9, 9}, StandardOpenOption.APPEND);
        assertThat(summary(new StateStore(dir).takeAll())).containsExactly("a start/running [main:11]");
    }

    @Test
    void aFrameThatDoesNotParseEndsTheReplay() throws Exception {
        StateStore store = new StateStore(dir);
        store.record(List.of(running("a", 11)));
        byte[] junk = {(byte) 0xff, (byte) 0xff, (byte) 0xff};
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(junk);
        java.nio.ByteBuffer frame = java.nio.ByteBuffer.allocate(8 + junk.length).putInt(junk.length)
                .putInt((int) crc.getValue()).put(junk);
        Files.write(dir.resolve("journal"), frame.array(), StandardOpenOption.APPEND);
        assertThat(summary(new StateStore(dir).takeAll())).containsExactly("a start/running [main:11]");
    }

    @Test
    void eachInstancesEnvironmentIsKeptAsItChanges() throws Exception {
        StateStore store = new StateStore(dir);
        InstanceSnapshot first = new InstanceSnapshot("web", "1", Goal.START, JobState.RUNNING,
                List.of("PORT=80", "NAME=é/ü"), Map.of(ProcessKind.MAIN, 7L), false);
        store.record(List.of(first, running("db", 8)));
        store.record(List.of(new InstanceSnapshot("web", "1", Goal.STOP, JobState.STOPPING, List.of("PORT=81"),
                Map.of(ProcessKind.MAIN, 7L), false)));
        store.record(List.of(running("db", 9)));
        assertThat(new StateStore(dir).takeAll()).extracting(r -> r.getJob() + " " + r.getState() + " " + r.getEnvList())
                .containsExactly("web stopping [PORT=81]", "db running [A=1]");
    }

    @Test
    void anUnchangedEnvironmentIsCarriedOverAlsoAcrossARestartAndACompaction() throws Exception {
        List<String> env = List.of("PATH=/bin", "UPSTART_JOB=web", "UPSTART_EVENTS=startup");
        StateStore store = new StateStore(dir);
        for (JobState state : List.of(JobState.STARTING, JobState.SPAWNED, JobState.RUNNING)) {
            store.record(List.of(new InstanceSnapshot("web", "", Goal.START, state, env, Map.of(ProcessKind.MAIN, 7L),
                    false)));
        }
        StateStore again = new StateStore(dir); // its frames are read back, then rewritten
        assertThat(again.takeAll()).extracting(r -> List.copyOf(r.getEnvList())).containsExactly(env);
        again.record(List.of(new InstanceSnapshot("web", "", Goal.STOP, JobState.STOPPING, env,
                Map.of(ProcessKind.MAIN, 7L), false)));
        again.record(List.of(new InstanceSnapshot("web", "", Goal.STOP, JobState.KILLED, env,
                Map.of(ProcessKind.MAIN, 7L), false)));
        assertThat(new StateStore(dir).takeAll()).extracting(r -> r.getState() + " " + r.getEnvList())
                .containsExactly("killed " + env);
    }

    @Test
    void theJournalIsCompactedAsItGrows() throws Exception {
        StateStore store = new StateStore(dir);
        for (int i = 0; i < 2000; i++) {
            store.record(List.of(running("a", 1000 + i), running("b", 5000 + i)));
        }
        store.forget("b", "");
        assertThat(Files.size(dir.resolve("journal"))).isLessThan(300 * 1024);
        assertThat(summary(new StateStore(dir).takeAll())).containsExactly("a start/running [main:2999]");
    }

    @Test
    void compactionsCopyEachInstancesLatestFrameAndItsEnvironmentWhereverTheyAre() throws Exception {
        StateStore store = new StateStore(dir);
        java.util.Random random = new java.util.Random(42);
        Map<String, String> expected = new java.util.TreeMap<>();
        Map<String, List<String>> envs = new java.util.HashMap<>();
        long pid = 1;
        for (int round = 0; round < 6000; round++) {
            List<InstanceSnapshot> batch = new ArrayList<>();
            for (int i = random.nextInt(4); i >= 0; i--) {
                String job = "j" + random.nextInt(60);
                if (random.nextInt(10) == 0) {
                    batch.add(gone(job));
                    expected.remove(job);
                    envs.remove(job);
                    continue;
                }
                if (!envs.containsKey(job) || random.nextInt(20) == 0) { // mostly the same environment, now and then a new one
                    envs.put(job, List.of("JOB=" + job, "ROUND=" + round));
                }
                batch.add(new InstanceSnapshot(job, "", Goal.START, JobState.RUNNING, envs.get(job),
                        Map.of(ProcessKind.MAIN, pid), false));
                expected.put(job, pid++ + " " + envs.get(job));
            }
            store.record(batch);
        }
        assertThat(Files.size(dir.resolve("journal"))).isLessThan(300 * 1024); // ~500 KB written
        Map<String, String> read = new java.util.TreeMap<>();
        for (InstanceRecord r : new StateStore(dir).takeAll()) {
            read.put(r.getJob(), r.getProcesses(0).getPid() + " " + r.getEnvList());
        }
        assertThat(read).isEqualTo(expected);
    }

    @Test
    void anEnvironmentWrittenOnceBeforeACompactionSurvivesIt() throws Exception {
        List<String> env = List.of("PORT=80", "NAME=steady");
        StateStore store = new StateStore(dir);
        store.record(List.of(new InstanceSnapshot("steady", "", Goal.START, JobState.STARTING, env, Map.of(), false)));
        for (int i = 0; i < 10_000; i++) {
            store.record(List.of(running("churn", 1000 + i)));
            if (i % 1000 == 0) { // records that refer to the first one for the environment
                store.record(List.of(new InstanceSnapshot("steady", "", Goal.START, JobState.RUNNING, env,
                        Map.of(ProcessKind.MAIN, (long) i), false)));
            }
        }
        assertThat(Files.size(dir.resolve("journal"))).isLessThan(300 * 1024); // ~600 KB written
        assertThat(new StateStore(dir).takeAll()).extracting(r -> r.getJob() + " " + r.getEnvList() + " "
                + r.getProcessesList().stream().map(p -> p.getPid()).toList())
                .containsExactly("steady [PORT=80, NAME=steady] [9000]", "churn [A=1] [10999]");
    }

    @Test
    void anUnchangedEnvironmentIsWrittenOnceAndAnInstanceTwiceInABatchKeepsItsLatest() throws Exception {
        List<String> env = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            env.add("VARIABLE_" + i + "=" + "x".repeat(30));
        }
        StateStore store = new StateStore(dir);
        for (JobState state : List.of(JobState.STARTING, JobState.PRE_START, JobState.SPAWNED, JobState.POST_START,
                JobState.RUNNING)) {
            store.record(List.of(new InstanceSnapshot("web", "", Goal.START, state, env, Map.of(ProcessKind.MAIN, 7L),
                    false)));
        }
        assertThat(Files.size(dir.resolve("journal"))).isLessThan(2 * 40 * 45); // once, not five times
        List<String> changed = List.of("ONLY=1");
        store.record(List.of(
                new InstanceSnapshot("web", "", Goal.STOP, JobState.STOPPING, env, Map.of(ProcessKind.MAIN, 7L), false),
                gone("web"),
                new InstanceSnapshot("web", "", Goal.START, JobState.STARTING, changed, Map.of(), false)));
        store.record(List.of(new InstanceSnapshot("web", "", Goal.START, JobState.PRE_START, changed, Map.of(), false)));
        assertThat(new StateStore(dir).takeAll()).extracting(r -> r.getState() + " " + r.getEnvList())
                .containsExactly("pre-start [ONLY=1]");
    }

    @Test
    void thePreviousRecordsAreHandedOverOnce() throws Exception {
        new StateStore(dir).record(List.of(running("a", 1)));
        StateStore again = new StateStore(dir);
        assertThat(again.takeAll()).hasSize(1);
        assertThat(again.takeAll()).isEmpty();
    }

    @Test
    void filesOfTheEarlierLayoutAreCarriedOverOnce() throws Exception {
        Path legacy = Files.createDirectories(dir.resolve("instances"));
        InstanceRecord old = InstanceRecord.newBuilder().setJob("old").setGoal("start").setState("running").build();
        Files.write(legacy.resolve(StateStoreLegacyName.of("old", "")), old.toByteArray());

        assertThat(summary(new StateStore(dir).takeAll())).containsExactly("old start/running []");
        assertThat(Files.list(legacy).toList()).isEmpty();
        assertThat(summary(new StateStore(dir).takeAll())).containsExactly("old start/running []");
    }

    /** The earlier layout's file names: HEX(job)#HEX(instance).state. */
    private static final class StateStoreLegacyName {
        static String of(String job, String instance) {
            java.util.HexFormat hex = java.util.HexFormat.of();
            return hex.formatHex(job.getBytes()) + "#" + hex.formatHex(instance.getBytes()) + ".state";
        }
    }

    @Test
    void aThousandStartsAreOneAppend() throws Exception {
        StateStore store = new StateStore(dir);
        List<InstanceSnapshot> burst = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            burst.add(running("s" + i, 100_000 + i));
        }
        store.record(burst);
        assertThat(new StateStore(dir).takeAll()).hasSize(1000);
    }
}
