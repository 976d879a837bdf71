#!/usr/bin/env bash
# Local Kafka (official Apache broker, KRaft single node) and Redis for development and tests,
# without Docker. See `scripts/services.sh --help`.
set -euo pipefail

usage() {
    cat <<'EOF'
Usage: scripts/services.sh COMMAND [ARGS]

Run a local single-node Kafka broker (official Apache Kafka jars from Maven Central, KRaft mode)
and a local redis-server, bound to 127.0.0.1 only. No Docker needed.

Commands:
  up [kafka|redis|all]    start the service(s) (default: all); a running service is left alone
  down [kafka|redis|all] [--purge]
                          stop what this script started (default: all); --purge also deletes
                          the Kafka data dir (the next `up` formats a fresh cluster)
  status                  print each service as running/stopped with port and pid
  logs kafka|redis [-f]   print the last lines of a service's log (-f: follow)
  env                     print export lines for AIOPS_KAFKA_BOOTSTRAP and AIOPS_REDIS_URL
                          (use: eval "$(scripts/services.sh env)")
  -h, --help              this help

Environment (defaults in brackets):
  AIOPS_SERVICES_HOME     jars, Kafka data, logs, pid files  [${XDG_CACHE_HOME:-$HOME/.cache}/aiops-services]
  AIOPS_KAFKA_VERSION     Kafka version fetched from Maven Central  [4.1.1]
  AIOPS_KAFKA_PORT        broker (PLAINTEXT) port  [9092]
  AIOPS_KAFKA_CONTROLLER_PORT  KRaft controller port  [9093]
  AIOPS_KAFKA_HEAP_OPTS   JVM heap options  [-Xms256m -Xmx768m]
  AIOPS_KAFKA_START_TIMEOUT  seconds to wait for the broker  [90]
  AIOPS_REDIS_PORT        redis port  [6379]

Needs java >= 17 and mvn (Kafka) and redis-server (Redis); missing ones are installed with
apt-get (openjdk-17-jre-headless, maven, redis-server), via sudo when not root.
EOF
}

# ---------------------------------------------------------------------------------------------
# Configuration
# ---------------------------------------------------------------------------------------------
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TEMPLATE_DIR="$SCRIPT_DIR/kafka"

# The one place the Kafka version is pinned (proven with faust-streaming 0.15.3 / aiokafka 0.14).
KAFKA_VERSION=${AIOPS_KAFKA_VERSION:-4.1.1}
KAFKA_PORT=${AIOPS_KAFKA_PORT:-9092}
KAFKA_CONTROLLER_PORT=${AIOPS_KAFKA_CONTROLLER_PORT:-9093}
KAFKA_HEAP_OPTS=${AIOPS_KAFKA_HEAP_OPTS:--Xms256m -Xmx768m}
KAFKA_START_TIMEOUT=${AIOPS_KAFKA_START_TIMEOUT:-90}
REDIS_PORT=${AIOPS_REDIS_PORT:-6379}
HOST=127.0.0.1

SERVICES_HOME=${AIOPS_SERVICES_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/aiops-services}
KAFKA_LIBS="$SERVICES_HOME/kafka-$KAFKA_VERSION/libs"
KAFKA_JAR="$KAFKA_LIBS/kafka_2.13-$KAFKA_VERSION.jar"
KAFKA_DATA="$SERVICES_HOME/kafka-data"
KAFKA_CONF_DIR="$SERVICES_HOME/kafka-conf"
KAFKA_PROPS="$KAFKA_CONF_DIR/server.properties"
KAFKA_LOG4J="$KAFKA_CONF_DIR/log4j2.yaml"
LOG_DIR="$SERVICES_HOME/logs"
RUN_DIR="$SERVICES_HOME/run"
KAFKA_LOG="$LOG_DIR/kafka.log"
KAFKA_PID="$RUN_DIR/kafka.pid"
REDIS_LOG="$LOG_DIR/redis.log"
REDIS_PID="$RUN_DIR/redis.pid"

JAVA=java

# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------
say() { printf '[services] %s\n' "$*"; }
die() { printf '[services] ERROR: %s\n' "$*" >&2; exit 1; }

validate_port() {
    if ! [[ $2 =~ ^[0-9]+$ ]] || (($2 < 1 || $2 > 65535)); then
        die "$1 must be a port number, got '$2'"
    fi
}

# Run apt-get install for the given packages (update first), with sudo when not root.
apt_install() {
    local sudo=()
    if [[ $(id -u) -ne 0 ]]; then
        command -v sudo >/dev/null || die "need root or sudo to apt-get install $*"
        sudo=(sudo)
    fi
    command -v apt-get >/dev/null || die "apt-get not found: install $* by hand"
    say "installing $* with apt-get (one-off)"
    "${sudo[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# True when something accepts TCP connections on 127.0.0.1:$1.
port_open() {
    timeout 1 bash -c "exec 3<>/dev/tcp/$HOST/$1" 2>/dev/null
}

# Describe who listens on port $1 (best effort).
port_owner() {
    local line
    line=$(ss -Hltnp "sport = :$1" 2>/dev/null | head -n1 || true)
    if [[ $line =~ users:\(\(\"([^\"]+)\",pid=([0-9]+) ]]; then
        printf '%s (pid %s)' "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}"
    else
        printf 'another process'
    fi
}

# Print the pid stored in pid file $1 if that process is alive and its command line contains
# every one of the remaining arguments (so a recycled pid is never mistaken for ours).
live_pid() {
    local pidfile=$1 pid cmdline needle
    shift
    [[ -s $pidfile ]] || return 1
    pid=$(<"$pidfile")
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    [[ -r /proc/$pid/cmdline ]] || return 1
    cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
    for needle in "$@"; do
        [[ $cmdline == *"$needle"* ]] || return 1
    done
    printf '%s' "$pid"
}

kafka_pid() { live_pid "$KAFKA_PID" kafka.Kafka "$KAFKA_PROPS"; }
redis_pid() { live_pid "$REDIS_PID" redis-server ":$REDIS_PORT"; }

# Stop process $2 (name $1): TERM, wait up to 30 s, then KILL.
stop_pid() {
    local name=$1 pid=$2 i
    say "stopping $name (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 60; i++)); do
        kill -0 "$pid" 2>/dev/null || { say "$name stopped"; return 0; }
        sleep 0.5
    done
    say "$name did not stop within 30 s, sending KILL"
    kill -KILL "$pid" 2>/dev/null || true
    for ((i = 0; i < 20; i++)); do
        kill -0 "$pid" 2>/dev/null || { say "$name killed"; return 0; }
        sleep 0.25
    done
    die "$name (pid $pid) survived KILL"
}

# Replace @NAME@ placeholders: render TEMPLATE OUT NAME=VALUE...
render() {
    local template=$1 out=$2 content kv
    shift 2
    content=$(<"$template")
    for kv in "$@"; do
        content=${content//@${kv%%=*}@/${kv#*=}}
    done
    printf '%s\n' "$content" >"$out.tmp"
    mv -f "$out.tmp" "$out"
}

# Serialise up/down across concurrent callers. The daemons are started with fd 9 closed so
# they never inherit (and keep holding) the lock.
with_lock() {
    mkdir -p "$SERVICES_HOME" "$LOG_DIR" "$RUN_DIR"
    if command -v flock >/dev/null; then
        exec 9>"$RUN_DIR/services.lock"
        if ! flock -n 9; then
            say "waiting for another services.sh (lock $RUN_DIR/services.lock)"
            flock -w 300 9 || die "another services.sh still holds $RUN_DIR/services.lock after 300 s"
        fi
    fi
}

# ---------------------------------------------------------------------------------------------
# Kafka
# ---------------------------------------------------------------------------------------------
java_major() {
    "$1" -XshowSettings:properties -version 2>&1 |
        sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p' | head -n1
}

ensure_java() {
    if [[ -n ${JAVA_HOME:-} && -x $JAVA_HOME/bin/java ]]; then
        JAVA="$JAVA_HOME/bin/java"
    fi
    local major=0
    if command -v "$JAVA" >/dev/null; then
        major=$(java_major "$JAVA")
        major=${major:-0}
    fi
    if ((major < 17)); then
        if ((major == 0)); then
            say "java not found"
        else
            say "java $major is too old for Kafka $KAFKA_VERSION (needs 17+)"
        fi
        apt_install openjdk-17-jre-headless
        local j
        for j in /usr/lib/jvm/java-17-openjdk-*/bin/java; do
            [[ -x $j ]] && JAVA=$j
        done
        major=$(java_major "$JAVA")
        ((${major:-0} >= 17)) || die "could not get a java >= 17"
    fi
}

fetch_kafka() {
    if [[ -f $KAFKA_JAR ]]; then
        return 0
    fi
    command -v mvn >/dev/null || apt_install maven
    local work="$SERVICES_HOME/kafka-$KAFKA_VERSION" start=$SECONDS
    mkdir -p "$work"
    render "$TEMPLATE_DIR/pom.xml.in" "$work/pom.xml" "KAFKA_VERSION=$KAFKA_VERSION"
    rm -rf "$work/libs.partial"
    say "fetching kafka_2.13:$KAFKA_VERSION and runtime deps from Maven Central into $KAFKA_LIBS"
    if ! mvn -q -B -f "$work/pom.xml" dependency:copy-dependencies \
        -DincludeScope=runtime -DoutputDirectory="$work/libs.partial" >"$work/mvn.log" 2>&1; then
        tail -n 30 "$work/mvn.log" >&2
        die "maven could not fetch Kafka $KAFKA_VERSION (full log: $work/mvn.log)"
    fi
    [[ -f $work/libs.partial/kafka_2.13-$KAFKA_VERSION.jar ]] ||
        die "maven finished but kafka_2.13-$KAFKA_VERSION.jar is missing (log: $work/mvn.log)"
    rm -rf "$KAFKA_LIBS"
    mv "$work/libs.partial" "$KAFKA_LIBS"
    say "fetched $(find "$KAFKA_LIBS" -name '*.jar' | wc -l) jars in $((SECONDS - start)) s"
}

configure_kafka() {
    mkdir -p "$KAFKA_CONF_DIR" "$KAFKA_DATA"
    render "$TEMPLATE_DIR/server.properties.in" "$KAFKA_PROPS" \
        "KAFKA_PORT=$KAFKA_PORT" "CONTROLLER_PORT=$KAFKA_CONTROLLER_PORT" "DATA_DIR=$KAFKA_DATA"
    cp -f "$TEMPLATE_DIR/log4j2.yaml" "$KAFKA_LOG4J"
    if [[ -f $KAFKA_DATA/meta.properties ]]; then
        return 0
    fi
    local cluster_id
    cluster_id=$("$JAVA" -cp "$KAFKA_LIBS/*" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n1)
    [[ -n $cluster_id ]] || die "kafka.tools.StorageTool random-uuid failed"
    say "formatting Kafka data dir $KAFKA_DATA (cluster id $cluster_id)"
    if ! "$JAVA" -Dlog4j2.configurationFile="$KAFKA_LOG4J" -cp "$KAFKA_LIBS/*" kafka.tools.StorageTool \
        format -t "$cluster_id" -c "$KAFKA_PROPS" >"$LOG_DIR/kafka-format.log" 2>&1; then
        cat "$LOG_DIR/kafka-format.log" >&2
        die "formatting the Kafka data dir failed"
    fi
}

kafka_up() {
    local pid
    if pid=$(kafka_pid); then
        say "kafka already running (pid $pid, $HOST:$KAFKA_PORT)"
        return 0
    fi
    rm -f "$KAFKA_PID"
    local port
    for port in "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT"; do
        if port_open "$port"; then
            die "port $port is already in use by $(port_owner "$port"), which services.sh did not start; stop it or set AIOPS_KAFKA_PORT / AIOPS_KAFKA_CONTROLLER_PORT"
        fi
    done
    ensure_java
    fetch_kafka
    configure_kafka

    local start=$SECONDS
    [[ -f $KAFKA_LOG ]] && mv -f "$KAFKA_LOG" "$KAFKA_LOG.1"
    say "starting kafka $KAFKA_VERSION on $HOST:$KAFKA_PORT (controller $KAFKA_CONTROLLER_PORT, log $KAFKA_LOG)"
    # setsid: own session, so the broker survives the shell (and its process group) that ran `up`.
    # The inner shell writes its own pid and execs java, so the pid file names the JVM itself.
    # shellcheck disable=SC2016,SC2086  # $$/$0 belong to the inner shell; heap opts split on purpose
    nohup setsid bash -c 'echo $$ >"$0"; exec "$@"' "$KAFKA_PID" \
        "$JAVA" $KAFKA_HEAP_OPTS -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
        -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent \
        -Djava.awt.headless=true -Dlog4j2.configurationFile="$KAFKA_LOG4J" \
        -cp "$KAFKA_LIBS/*" kafka.Kafka "$KAFKA_PROPS" >"$KAFKA_LOG" 2>&1 </dev/null 9>&- &
    local i
    for ((i = 0; i < 100; i++)); do
        [[ -s $KAFKA_PID ]] && break
        sleep 0.05
    done
    pid=$(<"$KAFKA_PID") || die "kafka launcher did not write $KAFKA_PID"

    local deadline=$((SECONDS + KAFKA_START_TIMEOUT))
    while ((SECONDS < deadline)); do
        if ! kill -0 "$pid" 2>/dev/null; then
            rm -f "$KAFKA_PID"
            say "last 30 lines of $KAFKA_LOG:"
            tail -n 30 "$KAFKA_LOG" >&2 || true
            die "kafka exited during startup (see $KAFKA_LOG)"
        fi
        if grep -q 'Kafka Server started' "$KAFKA_LOG" 2>/dev/null && port_open "$KAFKA_PORT"; then
            say "kafka ready on $HOST:$KAFKA_PORT (pid $pid) in $((SECONDS - start)) s"
            return 0
        fi
        sleep 0.5
    done
    say "last 30 lines of $KAFKA_LOG:"
    tail -n 30 "$KAFKA_LOG" >&2 || true
    die "kafka did not become ready within ${KAFKA_START_TIMEOUT} s (still running as pid $pid; 'scripts/services.sh down' stops it)"
}

kafka_down() {
    local pid
    if pid=$(kafka_pid); then
        stop_pid kafka "$pid"
    else
        say "kafka not running"
    fi
    rm -f "$KAFKA_PID"
}

# ---------------------------------------------------------------------------------------------
# Redis
# ---------------------------------------------------------------------------------------------
redis_up() {
    local pid
    if pid=$(redis_pid); then
        say "redis already running (pid $pid, $HOST:$REDIS_PORT)"
        return 0
    fi
    rm -f "$REDIS_PID"
    if port_open "$REDIS_PORT"; then
        die "port $REDIS_PORT is already in use by $(port_owner "$REDIS_PORT"), which services.sh did not start; stop it or set AIOPS_REDIS_PORT"
    fi
    command -v redis-server >/dev/null || apt_install redis-server
    command -v redis-cli >/dev/null || apt_install redis-tools

    local start=$SECONDS
    say "starting redis on $HOST:$REDIS_PORT (log $REDIS_LOG)"
    # The working dir is where redis would write dumps; persistence is off anyway.
    (cd "$RUN_DIR" && redis-server --port "$REDIS_PORT" --bind "$HOST" --save '' --appendonly no \
        --daemonize yes --pidfile "$REDIS_PID" --logfile "$REDIS_LOG" 9>&-) ||
        die "redis-server failed to start (see $REDIS_LOG)"
    local i
    for ((i = 0; i < 100; i++)); do
        if [[ $(redis-cli -h "$HOST" -p "$REDIS_PORT" ping 2>/dev/null) == PONG ]] && pid=$(redis_pid); then
            say "redis ready on $HOST:$REDIS_PORT (pid $pid) in $((SECONDS - start)) s"
            return 0
        fi
        sleep 0.1
    done
    tail -n 30 "$REDIS_LOG" >&2 || true
    die "redis did not answer PING within 10 s (see $REDIS_LOG)"
}

redis_down() {
    local pid
    if pid=$(redis_pid); then
        stop_pid redis "$pid"
    else
        say "redis not running"
    fi
    rm -f "$REDIS_PID"
}

# ---------------------------------------------------------------------------------------------
# Commands
# ---------------------------------------------------------------------------------------------
cmd_up() {
    local what=${1:-all}
    (($# <= 1)) || die "usage: services.sh up [kafka|redis|all]"
    with_lock
    case $what in
        kafka) kafka_up ;;
        redis) redis_up ;;
        all) kafka_up; redis_up ;;
        *) die "unknown service '$what' (kafka|redis|all)" ;;
    esac
}

cmd_down() {
    local purge=0 which=all arg
    for arg in "$@"; do
        case $arg in
            --purge) purge=1 ;;
            kafka|redis|all) which=$arg ;;
            *) die "usage: services.sh down [kafka|redis|all] [--purge]" ;;
        esac
    done
    with_lock
    [[ $which == redis ]] || kafka_down
    [[ $which == kafka ]] || redis_down
    if ((purge)); then
        say "purging Kafka data dir $KAFKA_DATA"
        rm -rf -- "$KAFKA_DATA"
    fi
}

status_line() {
    local name=$1 port=$2 pid=$3
    if [[ -n $pid ]]; then
        say "$name: running  $HOST:$port  pid $pid"
    elif port_open "$port"; then
        say "$name: stopped  (port $port is in use by $(port_owner "$port"), not started by services.sh)"
    else
        say "$name: stopped  port $port"
    fi
}

cmd_status() {
    local pid
    pid=$(kafka_pid) || pid=""
    status_line "kafka $KAFKA_VERSION" "$KAFKA_PORT" "$pid"
    pid=$(redis_pid) || pid=""
    status_line redis "$REDIS_PORT" "$pid"
    say "home: $SERVICES_HOME"
}

cmd_logs() {
    local file
    case ${1:-} in
        kafka) file=$KAFKA_LOG ;;
        redis) file=$REDIS_LOG ;;
        *) die "usage: services.sh logs kafka|redis [-f]" ;;
    esac
    [[ -f $file ]] || die "no log yet: $file"
    if [[ ${2:-} == -f ]]; then
        exec tail -n 100 -F "$file"
    fi
    tail -n 100 "$file"
}

cmd_env() {
    printf 'export AIOPS_KAFKA_BOOTSTRAP=%s:%s\n' "$HOST" "$KAFKA_PORT"
    printf 'export AIOPS_REDIS_URL=redis://%s:%s/0\n' "$HOST" "$REDIS_PORT"
}

main() {
    validate_port AIOPS_KAFKA_PORT "$KAFKA_PORT"
    validate_port AIOPS_KAFKA_CONTROLLER_PORT "$KAFKA_CONTROLLER_PORT"
    validate_port AIOPS_REDIS_PORT "$REDIS_PORT"
    [[ $KAFKA_START_TIMEOUT =~ ^[0-9]+$ ]] || die "AIOPS_KAFKA_START_TIMEOUT must be a number of seconds"
    local cmd=${1:-}
    (($#)) && shift
    case $cmd in
        up) cmd_up "$@" ;;
        down) cmd_down "$@" ;;
        status) cmd_status ;;
        logs) cmd_logs "$@" ;;
        env) cmd_env ;;
        -h | --help | help) usage ;;
        "") usage >&2; exit 2 ;;
        *) usage >&2; die "unknown command '$cmd'" ;;
    esac
}

main "$@"
