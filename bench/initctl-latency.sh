#!/usr/bin/env bash
# initctl-latency.sh [RUNS] [-- 'YARDSTICK COMMAND']: whole-command latency of bin/initctl, JVM start included:
# `status JOB`, `emit EVENT` (the stop-all path) and `version` against a throw-away standalone agent with one job,
# after bin/lib/train-aot has created the AOT cache. Timed with hyperfine (Debian package "hyperfine"), each
# command RUNS times (default 30) after 3 warm-up runs. A yardstick command (e.g. 'supervisorctl -c FILE status NAME',
# or another checkout's 'bin/initctl --socket {socket} status s0001', {socket} being this run's agent) is timed in the
# same hyperfine run, so compare the ratios it prints, not absolute times: on a shared machine those drift with
# everyone else's load.
#
# Temp files go to a fresh dir under ${TMPDIR:-/tmp}, removed at the end. Needs a built checkout (./mvnw -DskipTests
# package).
set -euo pipefail
root="$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)"
runs="${1:-30}"
yardstick=""
[ "${2:-}" = "--" ] && yardstick="${3:-}"
command -v hyperfine >/dev/null || { echo "initctl-latency.sh: needs hyperfine (apt-get install hyperfine)" >&2; exit 1; }

tmp="$(mktemp -d)"
agent=""
cleanup() {
    [ -n "$agent" ] && kill "$agent" 2>/dev/null && wait "$agent" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
mkdir -p "$tmp/conf" "$tmp/log" "$tmp/state"
printf 'start on bench-start\nrespawn\nexec sleep 1000000\n' > "$tmp/conf/s0001.conf"
"$root/bin/upfleet-agent" --confdir "$tmp/conf" --socket "$tmp/ctl.sock" --log-dir "$tmp/log" \
    --state-dir "$tmp/state" --no-startup-event >"$tmp/agent.out" 2>&1 &
agent=$!
for _ in $(seq 300); do
    [ -S "$tmp/ctl.sock" ] && break
    sleep 0.1
done
[ -S "$tmp/ctl.sock" ] || { echo "initctl-latency.sh: the agent did not start:" >&2; cat "$tmp/agent.out" >&2; exit 1; }
"$root/bin/lib/train-aot" >/dev/null
initctl="$root/bin/initctl --socket $tmp/ctl.sock"
$initctl emit bench-start
$initctl status s0001

set -- "$initctl status s0001" "$initctl emit bench-nothing" "$initctl version"
[ -n "$yardstick" ] && set -- "$@" "${yardstick//\{socket\}/$tmp/ctl.sock}"
hyperfine -N --warmup 3 --runs "$runs" --style basic "$@"
