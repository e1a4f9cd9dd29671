# Sourced by the bin/ launchers: finds a JDK 25 and the built jars, then runs a main class.
# UPFLEET_JAVA may name a java binary; otherwise JAVA_HOME, then a JDK 25+ under /usr/lib/jvm, then java on PATH.

# The project root, as an absolute path without . or .. components. A plain absolute (or cwd-relative) path to this
# file is cut by string operations: a subshell (cd && pwd) costs every short command (initctl status) a fork.
case "${BASH_SOURCE[0]}" in
    /*) UPFLEET_ROOT="${BASH_SOURCE[0]}" ;;
    *) UPFLEET_ROOT="$PWD/${BASH_SOURCE[0]}" ;;
esac
UPFLEET_ROOT="${UPFLEET_ROOT%/bin/lib/launcher.sh}"
case "$UPFLEET_ROOT" in
    */launcher.sh | */ | */. | */./* | */.. | */../* | *//* | "") UPFLEET_ROOT="$(cd "${BASH_SOURCE[0]%/*}/../.." && pwd)" ;;
esac

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

# The result is cached per root so that short commands (initctl status) do not probe every JDK each time; the cached
# path is read without forking (upfleet_java_var sets UPFLEET_JAVA_PATH), since every fork costs start-up time.
upfleet_java_var() {
    local cache="$UPFLEET_ROOT/.java-path" cached=""
    if [ -z "${UPFLEET_JAVA:-}" ] && [ -f "$cache" ] && read -r cached < "$cache" && [ -x "$cached" ]; then
        UPFLEET_JAVA_PATH="$cached"
        return 0
    fi
    local found
    if ! found="$(upfleet_find_java)"; then
        echo "upfleet: no JDK 25 found: set JAVA_HOME to a JDK 25 (looked in JAVA_HOME, /usr/lib/jvm and PATH)" >&2
        return 1
    fi
    printf '%s\n' "$found" > "$cache" 2>/dev/null || true
    UPFLEET_JAVA_PATH="$found"
}

upfleet_java() {
    upfleet_java_var && printf '%s\n' "$UPFLEET_JAVA_PATH"
}

# The AOT cache (JDK 25, JEPs 483/514/515) of a launcher that passes --aot=NAME: TARGET/NAME.aot. Used when it is
# newer than the jar and its lib directory; otherwise, if TARGET is writable, one detached, niced background job
# (under flock, so concurrent first calls do not clash) records a training run (the launcher's --aot-train
# arguments, which must be read-only) and creates the cache, then renames it into place atomically. The user's
# command never waits for it and never fails because of it; a failed attempt is not retried for 10 minutes.
# UPFLEET_NO_AOT=1 disables the cache. The JVM silently ignores a cache that does not match its JDK, options and
# class path, so TARGET/.NAME.aot.key records them (one line) and a cache whose key differs counts as missing.
upfleet_aot_fresh() { # CACHE JAR LIBDIR KEY
    local key=""
    [ -f "$1" ] && [ "$1" -nt "$2" ] && { [ ! -d "$3" ] || [ "$1" -nt "$3" ]; } \
        && read -r key < "${1%/*}/.${1##*/}.key" 2>/dev/null && [ "$key" = "$4" ]
}

# Sets UPFLEET_AOT_KEY to what a cache depends on: the JDK, the JVM options, the class path. System properties and
# the execution mode (-Xint, -Xmixed, -XX:TieredStopAtLevel) are left out: the JVM accepts a cache across them (JDK
# 25's holds classes, linkage and profiles, no compiled code), so initctl's monitor, which runs with the compilers,
# can use the cache of the interpreted short commands.
upfleet_aot_key() { # JAVA CLASSPATH JVM-OPTS...
    local key="$1" cp="$2" opt
    shift 2
    for opt in "$@"; do
        case "$opt" in -D* | -Xint | -Xmixed | -XX:TieredStopAtLevel=*) ;; *) key="$key $opt" ;; esac
    done
    UPFLEET_AOT_KEY="$key $cp"
}

# TRAIN-ARGS starting with -D are system properties for the training run (they do not affect the cache). With
# UPFLEET_AOT_TRAINER set, that program makes the cache instead (given the path to write; see --aot-trainer).
# The training outlives the user's command, so it runs in a process of its own with a clean environment: nothing of
# the caller's (a job's variables, a supervisor's or test harness's markers) lives on in it.
upfleet_aot_train_later() { # TARGET NAME KEY JAVA CLASSPATH MAIN JVM-OPTS... -- TRAIN-ARGS...
    local target="$1" name="$2"
    [ -w "$target" ] && command -v flock >/dev/null 2>&1 || return 0
    local failed="$target/.$name.aot.failed"
    if [ -f "$failed" ] && [ -n "$(find "$failed" -mmin -10 2>/dev/null)" ]; then
        return 0
    fi
    local keep=(PATH="$PATH" HOME="${HOME:-/}") v
    for v in UPFLEET_AOT_TRAINER UPFLEET_JAVA_OPTS UPFLEET_JAVA JAVA_HOME TMPDIR; do
        [ -n "${!v:-}" ] && keep+=("$v=${!v}")
    done
    env -i "${keep[@]}" bash -c "$(declare -f upfleet_aot_fresh upfleet_aot_train_now); upfleet_aot_train_now \"\$@\"" \
        upfleet-aot-training "$@" </dev/null >/dev/null 2>&1 &
    disown 2>/dev/null || true
}

# The training itself (arguments as upfleet_aot_train_later's), one at a time per cache (flock).
upfleet_aot_train_now() {
    local target="$1" name="$2" key="$3" java="$4" cp="$5" main="$6"
    shift 6
    local opts=() props=() args=() a
    while [ "$#" -gt 0 ] && [ "$1" != "--" ]; do opts+=("$1"); shift; done
    [ "${1:-}" = "--" ] && shift
    for a in "$@"; do
        case "$a" in -D*) props+=("$a") ;; *) args+=("$a") ;; esac
    done
    local failed="$target/.$name.aot.failed"
    exec 9>"$target/.$name.aot.lock" && flock -n 9 || return 0
    sleep 1 # let the user's command have the CPU first
    upfleet_aot_fresh "$target/$name.aot" "$target/upfleet-"*.jar "$target/lib" "$key" && return 0
    local conf="$target/.$name.aotconf.$$" tmp="$target/.$name.aot.$$" trained
    if [ -n "${UPFLEET_AOT_TRAINER:-}" ]; then
        nice "$UPFLEET_AOT_TRAINER" "$tmp" && trained=1
    else
        nice "$java" -XX:AOTMode=record -XX:AOTConfiguration="$conf" "${opts[@]}" "${props[@]}" -cp "$cp" "$main" "${args[@]}" \
            && nice "$java" -XX:AOTMode=create -XX:AOTConfiguration="$conf" -XX:AOTCache="$tmp" "${opts[@]}" -cp "$cp" \
            && trained=1
    fi
    if [ -n "${trained:-}" ] && printf '%s\n' "$key" > "$target/.$name.aot.key" && mv -f "$tmp" "$target/$name.aot"; then
        rm -f "$failed"
    else
        touch "$failed"
    fi
    rm -f "$conf" "$tmp" "$tmp.config"
}

# initctl's short class path: the cli jar alone (it carries the classes of the HTTP/2 codec it shares with the agent,
# upfleet-h2, which has no dependencies). Its lean client needs neither gRPC, Netty nor protobuf-java, and each jar
# costs start-up time (the JVM checks every jar an AOT cache was trained with; service lookups open them): measured,
# the codec as a second jar made `initctl status` about 10 ms slower (79 vs 69 ms in one run, same agent).
UPFLEET_INITCTL_CP="$UPFLEET_ROOT/cli/target/upfleet-cli.jar"

# The JVM options of initctl's short commands (bin/initctl and bin/lib/train-aot, which must agree for the AOT cache
# to be used). -Xint: a one-shot command runs too little code to repay the JIT compilers' threads and compilations
# (measured: status, list of 1000 jobs and check-config all finish sooner interpreted, with the AOT cache).
# jdk.reflect.useNativeAccessorOnly (JEP 416's switch): the few reflective constructions (the JDK's SecureRandom
# provider, which every Unix socket channel sets up) then spin no method-handle classes.
UPFLEET_INITCTL_OPTS=(-Xint -XX:+UseSerialGC -XX:-UsePerfData -Djdk.reflect.useNativeAccessorOnly=true)

# upfleet_run MODULE MAINCLASS [--aot=NAME] [--aot-train=ARG]... [--aot-trainer=PROGRAM] [--classpath=CP] [JVM-OPTION...] -- ARGS...
# --aot-trainer names a program that writes the cache to the path it is given (for a daemon, whose training run needs
# a workload of its own rather than a read-only command); it is run like the --aot-train run.
# --classpath replaces the default class path (the module jar, then every jar of its lib directory); --aot-classpath
# names the class path the AOT cache is trained with when this run's only appends to it (the JVM accepts that).
upfleet_run() {
    local module="$1" main="$2"
    shift 2
    local jvm_opts=() aot_name="" aot_train=() aot_trainer="" cp="" aot_cp=""
    while [ "$#" -gt 0 ] && [ "$1" != "--" ]; do
        case "$1" in
            --aot=*) aot_name="${1#--aot=}" ;;
            --aot-train=*) aot_train+=("${1#--aot-train=}") ;;
            --aot-trainer=*) aot_trainer="${1#--aot-trainer=}" ;;
            --classpath=*) cp="${1#--classpath=}" ;;
            --aot-classpath=*) aot_cp="${1#--aot-classpath=}" ;;
            *) jvm_opts+=("$1") ;;
        esac
        shift
    done
    [ "${1:-}" = "--" ] && shift
    local target="$UPFLEET_ROOT/$module/target"
    local jar="$target/upfleet-$module.jar"
    if [ ! -f "$jar" ]; then
        echo "upfleet: $jar is not built: run ./build (or ./mvnw -DskipTests package) in $UPFLEET_ROOT" >&2
        exit 1
    fi
    upfleet_java_var || exit 1
    local java="$UPFLEET_JAVA_PATH"
    [ -n "$cp" ] || cp="$jar:$target/lib/*"
    local common=(--enable-native-access=ALL-UNNAMED "${jvm_opts[@]}")
    # The JVM refuses -XX:AOTCache together with any -Xshare option; the AOT cache includes the CDS part anyway.
    local share=(-Xshare:auto)
    if [ -n "$aot_name" ] && [ -z "${UPFLEET_NO_AOT:-}" ]; then
        upfleet_aot_key "$java" "${aot_cp:-$cp}" "${common[@]}"
        local key="$UPFLEET_AOT_KEY"
        if upfleet_aot_fresh "$target/$aot_name.aot" "$jar" "$target/lib" "$key"; then
            share=(-XX:AOTCache="$target/$aot_name.aot")
        elif [ -n "$aot_trainer" ]; then
            UPFLEET_AOT_TRAINER="$aot_trainer" upfleet_aot_train_later "$target" "$aot_name" "$key" "$java" "$cp" "$main" \
                "${common[@]}" --
        elif [ "${#aot_train[@]}" -gt 0 ]; then
            upfleet_aot_train_later "$target" "$aot_name" "$key" "$java" "$cp" "$main" "${common[@]}" -- "${aot_train[@]}"
        fi
    fi
    exec "$java" "${share[@]}" "${common[@]}" -cp "$cp" "$main" "$@"
}
