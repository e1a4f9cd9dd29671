# Sourced by bench/agent-quick.sh and bench/agent-ab.sh: the job files the shared harness writes for its services.
# harness_jobs DIR N: DIR/conf/s0001.conf .. sNNNN.conf, each `start on startup`, `stop on bench-stop-all`,
# `respawn`, `exec DIR/svc sNNNN` (console log, the default); prints the names, comma-separated, for the probe.
harness_jobs() {
    local dir="$1" n="$2" names="" name i
    mkdir -p "$dir/conf"
    for ((i = 1; i <= n; i++)); do
        name=$(printf 's%04d' "$i")
        names="$names${names:+,}$name"
        printf 'start on startup\nstop on bench-stop-all\nrespawn\nexec %s %s\n' "$dir/svc" "$name" >"$dir/conf/$name.conf"
    done
    printf '%s' "$names"
}
