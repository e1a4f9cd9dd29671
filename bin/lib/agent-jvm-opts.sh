# Sourced by bin/upfleet-agent and bin/lib/train-aot-agent: the agent's JVM options, in one place, because an AOT
# cache (agent/target/app.aot) is only used when the run's options match the training run's.
UPFLEET_AGENT_JVM_OPTS=(-XX:+UseSerialGC -Xms8m -Xmn3m -Xmx256m -XX:MaxHeapFreeRatio=30 -XX:MinHeapFreeRatio=10
    -XX:-ShrinkHeapInSteps -XX:TrimNativeHeapInterval=1000 -XX:MaxMetaspaceSize=96m -XX:TieredStopAtLevel=1 -Xss512k)
