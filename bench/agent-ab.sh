#!/usr/bin/env bash
# agent-ab.sh N REPS NAME OPTS [NAME OPTS]...: interleaved A/B of agent JVM options, on the current build.
# Each variant runs bin/lib/agent-jvm-opts.sh's options followed by its OPTS (later ones win), with an AOT cache of its
# own, trained once per run of this script with the same options. Per rep and variant, on a fresh temp dir with N jobs
# as the shared harness writes them (`start on startup`, `respawn`, `exec SVC sNNNN`, console log), one line:
#   first / all   launch -> the first / all N service processes running (ms)
#   cpu_ms        the agent's user + system CPU 2.5 s after all run
#   rss           the agent's VmRSS then (KiB)
#   restart       p50 / max of 30 SIGKILLs of respawning services (ms, the shared probe's restart), when N >= 10
# Variants alternate within each rep, so machine noise hits them alike. Not a substitute for the shared harness.
# Example: bash bench/agent-ab.sh 1000 3 base "" mn2 "-Xmn2m"
#
# Needs the shared bench helpers (probe, svc): BENCH_HOME, default ../shared/bench next to the project root.
set -euo pipefail
root="$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)"
bench="${BENCH_HOME:-$root/../shared/bench}"
[ "$#" -ge 4 ] && [ $(($# % 2)) -eq 0 ] || { echo "usage: $0 N REPS NAME OPTS [NAME OPTS]..." >&2; exit 2; }
n="$1" reps="$2"
shift 2
names=() opts=()
while [ "$#" -gt 0 ]; do
    names+=("$1") opts+=("$2")
    shift 2
done
[ -x "$bench/build/probe" ] || "$bench/build.sh" >/dev/null
probe="$bench/build/probe"
source "$root/bench/harness-jobs.sh"
source "$root/bin/lib/launcher.sh"
source "$root/bin/lib/agent-jvm-opts.sh"
java="$(upfleet_java)"
agent="$root/agent/target"
work="$(mktemp -d "${TMPDIR:-/tmp}/upfleet-ab.XXXXXX")"
dir="" pid=""
cleanup() { # the agent and services of the current trial, by pid; then the caches
    [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null || true
    if [ -n "$dir" ]; then
        { "$probe" pids "$dir/svc" 2>/dev/null || true; } | while read -r p _; do kill -KILL "$p" 2>/dev/null || true; done
    fi
    rm -rf "$work"
}
trap cleanup EXIT

for i in "${!names[@]}"; do
    UPFLEET_JAVA_OPTS="${opts[$i]}" "$root/bin/lib/train-aot-agent" "$work/${names[$i]}.aot" >/dev/null 2>&1 \
        || { echo "training the cache of ${names[$i]} failed" >&2; exit 1; }
done
for ((r = 1; r <= reps; r++)); do
    for i in "${!names[@]}"; do
        dir="$work/trial"
        mkdir -p "$dir"
        cp "$bench/build/svc" "$dir/svc"
        list=$(harness_jobs "$dir" "$n")
        # shellcheck disable=SC2086 # the variant's options are words
        out=$("$probe" launch "$dir/svc" "$n" 120000 "$dir/agent.log" "$dir" --names "$list" -- "$java" \
            -XX:AOTCache="$work/${names[$i]}.aot" --enable-native-access=ALL-UNNAMED "${UPFLEET_AGENT_JVM_OPTS[@]}" \
            ${opts[$i]} -cp "$(upfleet_agent_classpath "$agent")" dev.upfleet.agent.AgentMain --confdir "$dir/conf" \
            --socket "$dir/ctl.sock" --log-dir "$dir/log" --state-dir "$dir/state")
        pid=$(awk '$1 == "launched" { print $2 }' <<<"$out")
        all=$(awk '$1 == "ready" { printf "%.1f", $2 / 1e6 }' <<<"$out")
        first=$(awk '$1 == "seen" && (m == "" || $3 < m) { m = $3 } END { printf "%.1f", m / 1e6 }' <<<"$out")
        [ -n "$all" ] || { echo "start failed: $out" >&2; tail -20 "$dir/agent.log" >&2; exit 1; }
        sleep 2.5
        rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status")
        cpu=$(awk -v hz="$(getconf CLK_TCK)" '{ print int(($14 + $15) * 1000 / hz) }' "/proc/$pid/stat")
        restart="-"
        if [ "$n" -ge 10 ]; then
            restart=$("$probe" restart "$dir/svc" s0001,s0002,s0003,s0004,s0005,s0006,s0007,s0008,s0009,s0010 30 300 200 \
                20000 | awk '$1 == "kill" { print $6 / 1e6 }' | sort -n |
                awk '{ a[NR] = $1 } END { printf "%.2f/%.2f", a[int(NR / 2) + 1], a[NR] }')
        fi
        printf '%-10s rep %d first %7s all %8s cpu_ms %5d rss %6d restart p50/max %s\n' \
            "${names[$i]}" "$r" "$first" "$all" "$cpu" "$rss" "$restart"
        kill -KILL "$pid"
        { "$probe" pids "$dir/svc" 2>/dev/null || true; } | while read -r p _; do kill -KILL "$p" 2>/dev/null || true; done
        rm -rf "$dir"
        pid="" dir=""
    done
done
