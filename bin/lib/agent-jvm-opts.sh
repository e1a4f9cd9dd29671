# Sourced by bin/upfleet-agent and bin/lib/train-aot-agent: the agent's JVM options, in one place, because an AOT
# cache (agent/target/app.aot) is only used when the run's options match the training run's.
# Memory (agent RSS is a goal: bench/results/*.md):
# - the heap shrinks to 15% free after the full collection that follows the boot burst (Agent.boot);
# - (not done: excluding the JDK's StackMapGenerator.processBlock from compilation saves the 6.7 MB of compiler
#   arena its compilation takes, pooled for up to 5 s, but the FFM linker's stub classes, which it is hot for, then
#   took 0.36 s instead of 0.27 s to spin at start-up, median of five, on the way to the first job's spawn);
# - NIO's per-thread cache of temporary direct buffers keeps none over 64 KiB: a state journal compaction or a
#   batch of records written from a heap buffer otherwise left a direct buffer of its size cached for good
#   (NMT "Other" 1.6 MB -> 0.1 MB at 1000 jobs).
UPFLEET_AGENT_JVM_OPTS=(-XX:+UseSerialGC -Xms8m -Xmn3m -Xmx256m -XX:MaxHeapFreeRatio=15 -XX:MinHeapFreeRatio=5
    -XX:-ShrinkHeapInSteps -XX:TrimNativeHeapInterval=1000 -XX:MaxMetaspaceSize=96m -XX:TieredStopAtLevel=1 -Xss512k
    -Djdk.nio.maxCachedBufferSize=65536)
