#!/usr/bin/env bash
# package.sh [--with-jdk] [--no-build] [OUT.tar.gz]
#
# Builds upfleet (./mvnw -DskipTests package) and packs the tree that belongs in /opt/upfleet on every
# host: bin/ (launchers), MODULE/target/upfleet-MODULE.jar + MODULE/target/lib/ for each daemon and the
# CLI, README.md and deploy/. The launchers find the jars relative to themselves, so the tree works at
# any path; the systemd units expect /opt/upfleet.
#
# --with-jdk  also ship the JDK 25 that built it, as jdk/ (set UPFLEET_JAVA=/opt/upfleet/jdk/bin/java in
#             /etc/default/upfleet-*), and the AOT caches trained with that very JDK. Debian 12 has no
#             OpenJDK 25 package, so this is the simplest way to get one onto a node without downloading
#             anything on it; see deploy/README.md for the alternatives.
# Default output: deploy/target/upfleet.tar.gz
set -euo pipefail
root="$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)"
cd "$root"
source bin/lib/launcher.sh

with_jdk=0 build=1 out=""
for arg in "$@"; do
    case "$arg" in
        --with-jdk) with_jdk=1 ;;
        --no-build) build=0 ;;
        -*) echo "package.sh: unknown option $arg" >&2; exit 2 ;;
        *) out="$arg" ;;
    esac
done
out="${out:-$root/deploy/target/upfleet.tar.gz}"
mkdir -p "$(dirname "$out")"
out="$(cd "$(dirname "$out")" && pwd)/$(basename "$out")"

java_bin="$(upfleet_java)"
export JAVA_HOME="$(dirname "$(dirname "$(readlink -f "$java_bin")")")"
if [ "$build" = 1 ]; then
    ./mvnw -B -ntp -q -DskipTests package
fi

stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
tree="$stage/upfleet"
mkdir -p "$tree"
cp -a bin README.md "$tree/"
rm -f "$tree/.java-path"
mkdir -p "$tree/deploy"
cp -a deploy/README.md deploy/check.sh deploy/package.sh deploy/push.sh deploy/systemd deploy/cloud-init \
    deploy/prometheus deploy/grafana deploy/tls "$tree/deploy/"
found=0
for module in agent controller cli; do
    jar="$module/target/upfleet-$module.jar"
    [ -f "$jar" ] || { echo "package.sh: $jar not built (skipped)" >&2; continue; }
    mkdir -p "$tree/$module/target"
    cp -a "$jar" "$tree/$module/target/"
    [ -d "$module/target/lib" ] && cp -a "$module/target/lib" "$tree/$module/target/"
    # An AOT cache only works with the JDK build that trained it.
    if [ "$with_jdk" = 1 ] && [ -f "$module/target/app.aot" ]; then
        cp -a "$module/target/app.aot" "$tree/$module/target/"
    fi
    found=$((found + 1))
done
[ "$found" -gt 0 ] || { echo "package.sh: nothing built" >&2; exit 1; }
if [ "$with_jdk" = 1 ]; then
    mkdir -p "$tree/jdk"
    (cd "$JAVA_HOME" && tar -cf - --exclude=./lib/src.zip --exclude=./man --exclude=./demo --exclude=./sample .) \
        | (cd "$tree/jdk" && tar -xf -)
    printf '%s\n' "/opt/upfleet/jdk/bin/java" > "$tree/.java-path"
fi
tar -C "$stage" -czf "$out" upfleet
echo "package.sh: $out ($(du -h "$out" | cut -f1))"
