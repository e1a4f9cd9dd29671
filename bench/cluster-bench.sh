#!/usr/bin/env bash
# bench/cluster-bench.sh: builds, starts a 3-member etcd, controllers and agents, runs the four cluster measurements
# (cross-node latency, relay throughput, fan-out, failover) beside raw etcd baselines measured in the same run, prints
# a markdown table and saves it to bench/results/cluster-YYYY-MM-DD.md. Every process it starts is killed on exit.
# Tunables (JVM system properties via BENCH_OPTS), e.g. BENCH_OPTS="-Dbench.fanoutAgents=500 -Dbench.batches=100".
#   bench.pings=200 bench.restarts=30 bench.publishers=100 bench.batches=100,500 bench.throughputSeconds=6
#   bench.failoverAgents=100 bench.fanoutAgents=1000 bench.fanoutEmits=5 bench.only=latency,throughput,failover,fanout
# SKIP_BUILD=1 skips the Maven build; BENCH_OUT=FILE writes the table there instead.
set -euo pipefail
source "$(dirname "$(readlink -f "$0")")/../bin/lib/launcher.sh"
cd "$UPFLEET_ROOT"
command -v etcd >/dev/null || { echo "cluster-bench: etcd not on PATH" >&2; exit 1; }
java="$(upfleet_java)"
if [ -z "${SKIP_BUILD:-}" ]; then
    JAVA_HOME="$(dirname "$(dirname "$(readlink -f "$java")")")" ./mvnw -B -q -o -DskipTests package
fi
work="$(mktemp -d /tmp/upfleet-cluster-bench.XXXXXX)"
out="${BENCH_OUT:-bench/results/cluster-$(date +%F).md}"
bench_pid=""
cleanup() {
    # The bench JVM kills its controllers, agents and etcd members itself (also from a shutdown hook); this covers
    # a SIGKILLed bench: everything it started is in its process tree.
    if [ -n "$bench_pid" ]; then
        for p in $(pgrep -P "$bench_pid" 2>/dev/null); do
            pkill -KILL -P "$p" 2>/dev/null || true
            kill -KILL "$p" 2>/dev/null || true
        done
        kill -KILL "$bench_pid" 2>/dev/null || true
    fi
    rm -rf "/dev/shm/${work##*/}-etcd" 2>/dev/null || true
    echo "cluster-bench: logs in $work" >&2
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# shellcheck disable=SC2086
"$java" -Xmx1g -XX:+UseParallelGC ${BENCH_OPTS:-} -cp "bench/target/upfleet-bench.jar:bench/target/lib/*" \
    dev.upfleet.bench.cluster.ClusterBench "$UPFLEET_ROOT" "$work" "$out" &
bench_pid=$!
rc=0
wait "$bench_pid" || rc=$?
bench_pid=""
exit "$rc"
