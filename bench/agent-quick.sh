#!/usr/bin/env bash
# agent-quick.sh [N] [REPS]: quick, repeatable figures for bin/upfleet-agent alone (default N = 1000, REPS = 3), for
# comparing two builds or JVM options during tuning. Not a substitute for the shared harness (no peers, no floor):
# only compare figures taken in the same minute on the same machine.
#
# Per rep, on a fresh temp dir with N jobs as the shared harness writes them (`start on startup`, `stop on
# bench-stop-all`, `respawn`, `exec SVC sNNNN`, console log):
#   first_ms   launch -> the first service process running (JVM + agent boot)
#   all_ms     launch -> N service processes running
#   rss_kb     agent VmRSS after 2 s idle (also pss_kb, threads)
#   stop_ms    `initctl emit bench-stop-all` -> no service process left; initctl_ms: when initctl itself returned
#   shutdown_ms SIGTERM -> agent exited (the agent is killed when it has not after 60 s)
# and, with N >= 10, restart p50/p90/max of 20 SIGKILLs of a respawning service (ms, the shared probe's restart).
# UPFLEET_JAVA_OPTS is passed through (e.g. a JFR recording); QUICK_KEEP=1 keeps the temp dirs.
#
# Needs the shared bench helpers (probe, svc): BENCH_HOME, default ../shared/bench next to the project root.
set -euo pipefail
root="$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)"
bench="${BENCH_HOME:-$root/../shared/bench}"
n="${1:-1000}"
reps="${2:-3}"
[ -x "$bench/build/probe" ] || "$bench/build.sh" >/dev/null
probe="$bench/build/probe"
source "$root/bench/harness-jobs.sh"
ms() { awk -v ns="$1" 'BEGIN { printf "%.1f", ns / 1e6 }'; }

dir="" agent_pid=""
# The agent and its services of the current rep, by pid (also when a command fails and set -e ends the script).
cleanup() {
    [ -n "$dir" ] || return 0
    [ -n "$agent_pid" ] && kill -KILL "$agent_pid" 2>/dev/null || true
    "$probe" pids "$dir/svc" 2>/dev/null | while read -r pid _; do kill -KILL "$pid" 2>/dev/null || true; done
    if [ -n "${QUICK_KEEP:-}" ]; then echo "kept $dir" >&2; else rm -rf "$dir"; fi
    dir="" agent_pid=""
}
trap cleanup EXIT

run_once() {
    local out names first ready
    dir="$(mktemp -d "${TMPDIR:-/tmp}/upfleet-quick.XXXXXX")"
    cp "$bench/build/svc" "$dir/svc"
    names=$(harness_jobs "$dir" "$n")
    out=$("$probe" launch "$dir/svc" "$n" 120000 "$dir/agent.log" "$dir" --names "$names" -- \
        "$root/bin/upfleet-agent" --confdir "$dir/conf" --socket "$dir/ctl.sock" --log-dir "$dir/log" --state-dir "$dir/state")
    agent_pid=$(awk '$1 == "launched" { print $2 }' <<<"$out")
    ready=$(awk '$1 == "ready" { print $2 }' <<<"$out")
    [ -n "$ready" ] || { echo "start failed: $out" >&2; tail -20 "$dir/agent.log" >&2; return 1; }
    first=$(awk '$1 == "seen" && (min == "" || $3 < min) { min = $3 } END { print min }' <<<"$out")
    echo "first_ms $(ms "$first") all_ms $(ms "$ready")"
    sleep 2
    echo "rss_kb $(awk '/^VmRSS/ { print $2 }' "/proc/$agent_pid/status") pss_kb $(awk '/^Pss:/ { print $2 }' \
        "/proc/$agent_pid/smaps_rollup") threads $(awk '/^Threads/ { print $2 }' "/proc/$agent_pid/status")"
    if [ "$n" -ge 10 ]; then
        out=$("$probe" restart "$dir/svc" s0001,s0002,s0003,s0004,s0005,s0006,s0007,s0008,s0009,s0010 20 300 200 20000 |
            awk '$1 == "kill" { print $6 / 1e6 }' | sort -n)
        echo "restart_p50_ms $(sed -n 10p <<<"$out") p90 $(sed -n 18p <<<"$out") max $(tail -1 <<<"$out")"
    fi
    out=$("$probe" waitgone "$dir/svc" 60000 0 "$dir/stop.log" -- "$root/bin/initctl" --socket "$dir/ctl.sock" emit bench-stop-all)
    echo "stop_ms $(ms "$(awk '$1 == "gone" { print $2 }' <<<"$out")") initctl_ms $(ms "$(awk '$1 == "gone" { print $3 }' <<<"$out")")"
    local t0 t1
    t0=$(date +%s%N)
    kill -TERM "$agent_pid"
    for _ in $(seq 3000); do kill -0 "$agent_pid" 2>/dev/null || break; sleep 0.02; done
    t1=$(date +%s%N)
    if kill -0 "$agent_pid" 2>/dev/null; then
        echo "shutdown: agent still running 60 s after SIGTERM (killed)"
    else
        echo "shutdown_ms $(ms $((t1 - t0)))"
        agent_pid=""
    fi
    cleanup
}

echo "jobs $n, load $(cut -d' ' -f1-3 /proc/loadavg)"
for ((r = 1; r <= reps; r++)); do
    run_once
done
