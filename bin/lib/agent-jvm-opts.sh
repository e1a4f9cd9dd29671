# Sourced by bin/upfleet-agent and bin/lib/train-aot-agent: the agent's JVM options, in one place, because an AOT
# cache (agent/target/app.aot) is only used when the run's options match the training run's.
# Libc's methods are never inlined into their callers: each holds one native call, whose downcall LambdaForms made the
# spawn path's compilations huge when inlined together (15 MB of compiler memory for one method, still resident
# seconds after a boot of 1000 jobs, and CPU the boot needs for spawning); the calls are syscall-bound anyway.
UPFLEET_AGENT_JVM_OPTS=(-XX:+UseSerialGC -Xms8m -Xmn3m -Xmx256m -XX:MaxHeapFreeRatio=30 -XX:MinHeapFreeRatio=10
    -XX:-ShrinkHeapInSteps -XX:TrimNativeHeapInterval=1000 -XX:MaxMetaspaceSize=96m -XX:TieredStopAtLevel=1 -Xss512k
    -XX:CompileCommand=quiet '-XX:CompileCommand=dontinline,dev.upfleet.agent.process.Libc::*')
