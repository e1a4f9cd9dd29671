#!/usr/bin/env bash
# push.sh [--tarball FILE] [--pki DIR] [--restart-jobs] [user@]HOST[=NAME]...
#
# Installs the tree from package.sh as /opt/upfleet on each host (over ssh, as root), then starts or
# upgrades the upfleet units that are enabled there (cloud-init enables them; their
# ConditionPathExists kept them from starting before the tree arrived).
#
# Upgrading a running agent keeps the jobs running: the old agent is SIGKILLed alone (KillMode=process),
# systemd restarts it (Restart=on-failure) with the new jars, and it re-adopts every job from
# /var/lib/upfleet. --pki DIR (from deploy/tls/make-certs.sh) also installs, before the units start,
# DIR/ca.crt and the host's own certificate as /etc/upfleet/tls/agent.{crt,key} (DIR/agent/NAME.*) and/or
# /etc/upfleet/tls/controller.{crt,key} (DIR/controller/NAME.*); NAME defaults to HOST's short name.
# --restart-jobs does a full `systemctl restart` instead: the agent stops every job
# (runlevel 0, shutdown) and starts them again.
set -euo pipefail
here="$(cd "$(dirname "$(readlink -f "$0")")" && pwd)"
tarball="$here/target/upfleet.tar.gz" restart_jobs=0 pki="" hosts=()
while [ "$#" -gt 0 ]; do
    case "$1" in
        --tarball) tarball="$2"; shift 2 ;;
        --restart-jobs) restart_jobs=1; shift ;;
        --pki) pki="$2"; shift 2 ;;
        -*) echo "push.sh: unknown option $1" >&2; exit 2 ;;
        *) hosts+=("$1"); shift ;;
    esac
done
[ "${#hosts[@]}" -gt 0 ] || { sed -n '2,2p' "$0" | sed 's/^# //' >&2; exit 2; }
[ -f "$tarball" ] || { echo "push.sh: $tarball missing: run deploy/package.sh first" >&2; exit 1; }

# Runs on each host, as root; the tarball arrives on its standard input.
remote='set -euo pipefail
prefix="${UPFLEET_PREFIX:-/opt/upfleet}"
rm -rf "$prefix.new" && mkdir -p "$prefix.new"
tar -xzf - -C "$prefix.new" --strip-components=1
# Swapped in with two renames, so a starting launcher never sees a half-copied tree; the previous
# tree stays as $prefix.previous for a rollback (mv it back, then restart the units).
if [ -d "$prefix" ]; then rm -rf "$prefix.previous"; mv "$prefix" "$prefix.previous"; fi
mv "$prefix.new" "$prefix"
for unit in upfleet-controller upfleet-agent; do
    systemctl is-enabled -q "$unit" 2>/dev/null || continue
    if ! systemctl is-active -q "$unit"; then
        systemctl start "$unit"
    elif [ "$unit" = upfleet-agent ] && [ "$RESTART_JOBS" = 0 ]; then
        systemctl kill --kill-whom=main --signal=SIGKILL "$unit"   # jobs survive; Restart= brings it back
    else
        systemctl restart "$unit"
    fi
    sleep 1
    echo "$(hostname): $unit $(systemctl is-active "$unit" || true)"
done
echo "$(hostname): installed $prefix"'
encoded="$(printf '%s\n' "$remote" | base64 -w0)"

# install_pki HOST NAME: the CA certificate and NAME's certificates and keys, as one tar over ssh.
install_pki() {
    local host="$1" name="$2" stage n=0
    stage="$(mktemp -d)"
    cp "$pki/ca.crt" "$stage/"
    if [ -f "$pki/agent/$name.crt" ]; then
        cp "$pki/agent/$name.crt" "$stage/agent.crt"; cp "$pki/agent/$name.key" "$stage/agent.key"; n=$((n + 1))
    fi
    if [ -f "$pki/controller/$name.crt" ]; then
        cp "$pki/controller/$name.crt" "$stage/controller.crt"; cp "$pki/controller/$name.key" "$stage/controller.key"; n=$((n + 1))
    fi
    if [ "$n" = 0 ]; then
        rm -rf "$stage"
        echo "push.sh: no certificate for $name in $pki (make-certs.sh $pki $name)" >&2
        return 1
    fi
    # Keys: root-only, except the controller's, which the `upfleet` user must read.
    tar -C "$stage" -cf - . | ssh -o BatchMode=yes "$host" 'set -e; umask 077; install -d -m 0750 /etc/upfleet/tls
        tar -xf - -C /etc/upfleet/tls --no-same-owner
        chmod 0644 /etc/upfleet/tls/*.crt
        if [ -f /etc/upfleet/tls/controller.key ] && getent group upfleet >/dev/null; then
            chgrp upfleet /etc/upfleet/tls /etc/upfleet/tls/controller.key; chmod 0640 /etc/upfleet/tls/controller.key
        fi'
    rm -rf "$stage"
}

for spec in "${hosts[@]}"; do
    host="${spec%%=*}"
    name="${spec#*=}"
    if [ "$name" = "$spec" ]; then name="${host#*@}"; name="${name%%.*}"; fi
    echo "push.sh: $host ($name)"
    [ -z "$pki" ] || install_pki "$host" "$name"
    ssh -o BatchMode=yes "$host" \
        "echo $encoded | base64 -d > /tmp/upfleet-push.sh && RESTART_JOBS=$restart_jobs ${UPFLEET_PREFIX:+UPFLEET_PREFIX=$UPFLEET_PREFIX} bash /tmp/upfleet-push.sh; rc=\$?; rm -f /tmp/upfleet-push.sh; exit \$rc" \
        < "$tarball"
done
