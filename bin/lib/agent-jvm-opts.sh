# Sourced by bin/upfleet-agent and bin/lib/train-aot-agent: the agent's JVM options and class path, in one place,
# because an AOT cache (agent/target/app.aot) is only used when the run's options and class path match the training
# run's.
# Memory (agent RSS is a goal: bench/results/*.md):
# - the heap shrinks to 10% free after the full collection that follows the boot burst (Agent.boot): 0.5 MB less than
#   15% at 1000 jobs (A/B, two agents each: RSS 63.2-63.3 vs 63.7-63.8 MB);
# - a young generation of 2 MB, all of it resident once used: 1.1 MB less than 3 MB at 1000 jobs, with no measurable
#   cost in start-up CPU or restart latency since the journal, /proc reads and spawn argument blocks allocate less
#   (A/B, three agents each with 1000 jobs: RSS 63.8-63.9 vs 64.9-65.1 MB, CPU to all running 1.30-1.39 vs 1.10-1.49 s);
# - the JDK's StackMapGenerator.processBlock is not compiled: it is hot only while classes are spun at start-up (FFM
#   stubs, lambda forms), and its compilation took 6.7 MB of compiler arena, which the JVM keeps pooled for up to
#   5 s. Since Libc binds 9 stubs instead of 24 this costs no start-up time (A/B, eight agents with one job each:
#   ready median 352 vs 365 ms, RSS 61.3 vs 66.8 MB; four with 1000 jobs: all running 1.58 vs 1.66 s, RSS 71.3 vs 75.9);
# - NIO's per-thread cache of temporary direct buffers keeps none over 64 KiB: a state journal compaction or a
#   batch of records written from a heap buffer otherwise left a direct buffer of its size cached for good
#   (NMT "Other" 1.6 MB -> 0.1 MB at 1000 jobs).
# Speed:
# - with the AOT cache, a method the training run compiled is compiled as soon as it is first called
#   (AOTCompileEagerly, JDK 25's replay of the cache's training data), not after some 200 calls in the interpreter.
#   The first respawns of a node with few jobs ran the spawn path, FFM downcalls included, interpreted: A/B, four
#   agents with 10 jobs each, restart p50 1.45-2.35 vs 2.34-3.24 ms; with 1000 jobs RSS +0.5 MB and no more CPU (those
#   methods are compiled anyway), with 10 jobs +2.6 MB and 0.3 s more CPU in the background at start-up.
UPFLEET_AGENT_JVM_OPTS=(-XX:+UnlockExperimentalVMOptions -XX:+AOTCompileEagerly
    -XX:+UseSerialGC -Xms8m -Xmn2m -Xmx256m -XX:MaxHeapFreeRatio=10 -XX:MinHeapFreeRatio=5 -XX:-ShrinkHeapInSteps
    -XX:TrimNativeHeapInterval=1000 -XX:MaxMetaspaceSize=96m -XX:TieredStopAtLevel=1 -Xss512k
    -XX:CompileCommand=quiet -XX:CompileCommand=exclude,jdk.internal.classfile.impl.StackMapGenerator::processBlock
    -Djdk.nio.maxCachedBufferSize=65536)

# The agent's class path: the agent jar, then agent/target/lib's jars, except, for a standalone agent (no
# --controller), those only the cluster link uses (gRPC's Netty transport and what it pulls in). Every class-path
# lookup that misses, as the JDK's own service lookups and protobuf's platform probes at start-up do, opens every jar
# on the path and keeps its central directory on the heap for good: A/B at 1000 jobs, old generation 7.0 vs 7.7 MB,
# RSS 1.1-2.8 MB less. With --controller they are appended, which the AOT cache of the standalone path accepts.
upfleet_agent_cp() { # AGENT-TARGET-DIR: sets UPFLEET_AGENT_CP (standalone) and UPFLEET_AGENT_CLUSTER_CP, without a fork
    local cp="$1/upfleet-agent.jar" extra="" jar
    for jar in "$1"/lib/*.jar; do
        [ -e "$jar" ] || continue
        case "${jar##*/}" in
            netty-* | grpc-netty-* | grpc-core-* | grpc-util-* | gson-* | perfmark-* | proto-google-common-protos-* \
                | logback-*) extra="$extra:$jar" ;;
            *) cp="$cp:$jar" ;;
        esac
    done
    UPFLEET_AGENT_CP="$cp"
    UPFLEET_AGENT_CLUSTER_CP="$cp$extra"
}

upfleet_agent_classpath() { # AGENT-TARGET-DIR [cluster]: prints the class path
    upfleet_agent_cp "$1"
    if [ "${2:-}" = cluster ]; then printf '%s' "$UPFLEET_AGENT_CLUSTER_CP"; else printf '%s' "$UPFLEET_AGENT_CP"; fi
}
