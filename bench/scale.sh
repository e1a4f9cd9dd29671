#!/usr/bin/env bash
# scale.sh [N] [--keep]: end-to-end scale check of bin/upfleet-agent with N jobs (default 10000), logging on.
#
# Writes N Upstart job files (`start on startup`, `stop on bench-stop-all`, `respawn`, `exec SVC sNNNNN`, default
# console log, so every job gets a pty or, past kernel.pty.max, a pipe), starts the agent and times:
#   start      launch -> N service processes running (counted in /proc by the shared probe)
#   memory     agent VmRSS and Pss (smaps_rollup) after 2 s idle, and its thread and descriptor counts
#   stop-all   `initctl emit bench-stop-all` -> no service process left (the agent stays; includes initctl's own start)
#   shutdown   SIGTERM to the agent -> agent gone (the jobs are already down)
# Then it restarts the agent with the same jobs and times SIGTERM with all N still running (shutdown-running).
#
# Needs the shared bench helpers (probe, svc): BENCH_HOME, default ../shared/bench next to the project root.
# Temp files go to a fresh dir under ${TMPDIR:-/tmp} (removed unless --keep). Output: one "key value" line per figure.
set -euo pipefail
root="$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)"
bench="${BENCH_HOME:-$root/../shared/bench}"
n="${1:-10000}"
keep="${2:-}"
timeout_ms="${SCALE_TIMEOUT_MS:-300000}"
[ -x "$bench/build/probe" ] || "$bench/build.sh" >/dev/null
probe="$bench/build/probe"

dir="$(mktemp -d "${TMPDIR:-/tmp}/upfleet-scale.XXXXXX")"
agent_pid=""
cleanup() {
    if [ -n "$agent_pid" ] && kill -0 "$agent_pid" 2>/dev/null; then
        kill -KILL "$agent_pid" 2>/dev/null || true
    fi
    # Leftover services of this run only (they run this run's private copy of svc).
    if [ -x "$dir/svc" ]; then
        "$probe" pids "$dir/svc" 2>/dev/null | while read -r pid _; do kill -KILL "$pid" 2>/dev/null || true; done
    fi
    [ "$keep" = "--keep" ] && echo "kept $dir" >&2 || rm -rf "$dir"
}
trap cleanup EXIT
cp "$bench/build/svc" "$dir/svc"
mkdir -p "$dir/conf"
for ((i = 1; i <= n; i++)); do
    name=$(printf 's%05d' "$i")
    printf 'start on startup\nstop on bench-stop-all\nrespawn\nexec %s %s\n' "$dir/svc" "$name" >"$dir/conf/$name.conf"
done
agent_cmd=("$root/bin/upfleet-agent" --confdir "$dir/conf" --socket "$dir/ctl.sock" --log-dir "$dir/log"
    --state-dir "$dir/state")
initctl=("$root/bin/initctl" --socket "$dir/ctl.sock")

ms() { awk -v ns="$1" 'BEGIN { printf "%.1f", ns / 1e6 }'; }
mem() { # pid -> "rss_kb pss_kb threads fds"
    local rss pss thr fds
    rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$1/status")
    thr=$(awk '/^Threads/ { print $2 }' "/proc/$1/status")
    pss=$(awk '/^Pss:/ { print $2 }' "/proc/$1/smaps_rollup")
    fds=$(find "/proc/$1/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
    echo "$rss $pss $thr $fds"
}
wait_exit() { # pid timeout_s
    local t=$((${2} * 100))
    while kill -0 "$1" 2>/dev/null && [ "$t" -gt 0 ]; do sleep 0.01; t=$((t - 1)); done
    ! kill -0 "$1" 2>/dev/null
}
launch() { # -> sets agent_pid and start_ms
    local out ready
    out=$("$probe" launch "$dir/svc" "$n" "$timeout_ms" "$dir/agent.log" "$dir" -- "${agent_cmd[@]}")
    agent_pid=$(awk '$1 == "launched" { print $2 }' <<<"$out")
    ready=$(awk '$1 == "ready" { print $2 }' <<<"$out")
    if [ -z "$ready" ]; then
        echo "start failed: $out" >&2
        tail -20 "$dir/agent.log" >&2
        exit 1
    fi
    start_ms=$(ms "$ready")
}

echo "jobs $n"
launch
echo "start_ms $start_ms"
sleep 2
read -r rss pss thr fds < <(mem "$agent_pid")
echo "rss_kb $rss"
echo "pss_kb $pss"
echo "threads $thr"
echo "fds $fds"
echo "ptys $(find "/proc/$agent_pid/fd" -mindepth 1 -maxdepth 1 -lname '/dev/ptmx' 2>/dev/null | wc -l)"
listed=$("${initctl[@]}" list 2>/dev/null | grep -c ' start/running' || true)
echo "initctl_list_running $listed"
out=$("$probe" waitgone "$dir/svc" "$timeout_ms" 0 "$dir/stop.log" -- "${initctl[@]}" emit bench-stop-all)
echo "stop_all_ms $(ms "$(awk '$1 == "gone" { print $2 }' <<<"$out")")"
t0=$(date +%s%N)
kill -TERM "$agent_pid"
wait_exit "$agent_pid" 120 || { echo "agent did not exit on SIGTERM" >&2; exit 1; }
echo "shutdown_idle_ms $(ms $(($(date +%s%N) - t0)))"

rm -rf "$dir/state"
launch
echo "restart_start_ms $start_ms"
sleep 1
t0=$(date +%s%N)
kill -TERM "$agent_pid"
wait_exit "$agent_pid" 120 || { echo "agent did not exit on SIGTERM" >&2; exit 1; }
left=$("$probe" count "$dir/svc")
echo "shutdown_running_ms $(ms $(($(date +%s%N) - t0)))"
echo "left_running $left"
