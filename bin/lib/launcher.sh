# Sourced by the bin/ launchers: finds a JDK 25 and the built jars, then runs a main class.
# UPFLEET_JAVA may name a java binary; otherwise JAVA_HOME, then a JDK 25+ under /usr/lib/jvm, then java on PATH.

UPFLEET_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

upfleet_java_major() {
    "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = //p' | head -1
}

upfleet_find_java() {
    local candidate major
    for candidate in "${UPFLEET_JAVA:-}" "${JAVA_HOME:+$JAVA_HOME/bin/java}" /usr/lib/jvm/*25*/bin/java /usr/lib/jvm/*/bin/java "$(command -v java 2>/dev/null)"; do
        [ -n "$candidate" ] && [ -x "$candidate" ] || continue
        major="$(upfleet_java_major "$candidate")"
        if [ -n "$major" ] && [ "${major%%.*}" -ge 25 ] 2>/dev/null; then
            printf '%s\n' "$candidate"
            return 0
        fi
    done
    return 1
}

# The result is cached per root so that short commands (initctl status) do not probe every JDK each time.
upfleet_java() {
    local cache="$UPFLEET_ROOT/.java-path"
    if [ -z "${UPFLEET_JAVA:-}" ] && [ -f "$cache" ]; then
        local cached
        cached="$(cat "$cache")"
        if [ -x "$cached" ]; then
            printf '%s\n' "$cached"
            return 0
        fi
    fi
    local found
    if ! found="$(upfleet_find_java)"; then
        echo "upfleet: no JDK 25 found: set JAVA_HOME to a JDK 25 (looked in JAVA_HOME, /usr/lib/jvm and PATH)" >&2
        return 1
    fi
    printf '%s\n' "$found" > "$cache" 2>/dev/null || true
    printf '%s\n' "$found"
}

# upfleet_run MODULE MAINCLASS [JVM-OPTION...] -- ARGS...
upfleet_run() {
    local module="$1" main="$2"
    shift 2
    local jvm_opts=()
    while [ "$#" -gt 0 ] && [ "$1" != "--" ]; do
        jvm_opts+=("$1")
        shift
    done
    [ "${1:-}" = "--" ] && shift
    local target="$UPFLEET_ROOT/$module/target"
    local jar="$target/upfleet-$module.jar"
    if [ ! -f "$jar" ]; then
        echo "upfleet: $jar is not built: run ./build (or ./mvnw -DskipTests package) in $UPFLEET_ROOT" >&2
        exit 1
    fi
    local java
    java="$(upfleet_java)" || exit 1
    # -XX:AOTCache and -Xshare:* are mutually exclusive: the JVM refuses to start with both.
    local aot=(-Xshare:auto)
    if [ -f "$target/app.aot" ] && [ -z "${UPFLEET_NO_AOT:-}" ]; then
        aot=(-XX:AOTCache="$target/app.aot")
    fi
    exec "$java" "${aot[@]}" --enable-native-access=ALL-UNNAMED "${jvm_opts[@]}" \
        -cp "$jar:$target/lib/*" "$main" "$@"
}
