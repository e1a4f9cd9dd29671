package dev.upfleet.agent.process;

import dev.upfleet.agent.engine.SpawnRequest;
import dev.upfleet.core.job.Command;
import dev.upfleet.core.job.Console;
import dev.upfleet.core.job.Expect;
import dev.upfleet.core.job.JobClass;
import dev.upfleet.core.job.Limit;
import dev.upfleet.core.job.ProcessKind;
import dev.upfleet.core.job.RespawnLimit;
import dev.upfleet.core.job.RlimitResource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/** A small builder of job classes and spawn requests with Upstart's defaults, for launcher tests. */
final class TestJob {
    String name = "test";
    String instance = "";
    Console console = Console.LOG;
    Expect expect = Expect.NONE;
    int umask = 022;
    Optional<Integer> nice = Optional.empty();
    int oomScore = 0;
    TreeMap<RlimitResource, Limit> limits = new TreeMap<>();
    Optional<String> chroot = Optional.empty();
    Optional<String> chdir = Optional.empty();
    Optional<String> setuid = Optional.empty();
    Optional<String> setgid = Optional.empty();
    Optional<String> apparmorSwitch = Optional.empty();
    boolean debug;
    ProcessKind kind = ProcessKind.MAIN;
    List<String> extraEnv = new ArrayList<>();

    static TestJob named(String name) {
        TestJob t = new TestJob();
        t.name = name;
        return t;
    }

    TestJob instance(String i) { instance = i; return this; }
    TestJob console(Console c) { console = c; return this; }
    TestJob expect(Expect e) { expect = e; return this; }
    TestJob umask(int u) { umask = u; return this; }
    TestJob nice(int n) { nice = Optional.of(n); return this; }
    TestJob oom(int o) { oomScore = o; return this; }
    TestJob limit(RlimitResource r, long soft, long hard) { limits.put(r, new Limit(soft, hard)); return this; }
    TestJob chdir(String d) { chdir = Optional.of(d); return this; }
    TestJob chroot(String d) { chroot = Optional.of(d); return this; }
    TestJob setuid(String u) { setuid = Optional.of(u); return this; }
    TestJob setgid(String g) { setgid = Optional.of(g); return this; }
    TestJob env(String kv) { extraEnv.add(kv); return this; }
    TestJob apparmorSwitch(String p) { apparmorSwitch = Optional.of(p); return this; }
    TestJob debug() { debug = true; return this; }
    TestJob kind(ProcessKind k) { kind = k; return this; }

    JobClass jobClass(Command main) {
        return new JobClass(name, Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), "", List.of(),
                Optional.empty(), Optional.empty(), List.of(), List.of(), false, false, RespawnLimit.DEFAULT, List.of(),
                15, JobClass.DEFAULT_KILL_TIMEOUT, 1, expect, console, umask, nice, oomScore, limits, chroot, chdir,
                setuid, setgid, Optional.empty(), apparmorSwitch, List.of(), debug, List.of(),
                Map.of(ProcessKind.MAIN, main));
    }

    List<String> environment() {
        List<String> env = new ArrayList<>();
        env.add("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        env.add("TERM=linux");
        env.add("UPSTART_JOB=" + name);
        env.add("UPSTART_INSTANCE=" + instance);
        env.addAll(extraEnv);
        return env;
    }

    SpawnRequest exec(String command) {
        Command c = new Command.Exec(command);
        return new SpawnRequest(jobClass(c), instance, kind, c, environment());
    }

    SpawnRequest script(String text) {
        Command c = new Command.Script(text);
        return new SpawnRequest(jobClass(c), instance, kind, c, environment());
    }
}
