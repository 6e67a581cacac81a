#!/usr/bin/env bash
# Makes sure an Apache Cassandra 5.0 answers CQL on 127.0.0.1:9042, without Docker: the server jar and its runtime
# dependencies come from Maven Central (scripts/infra/cassandra/pom.xml pins the version) and run on the machine's JDK 17.
#
#   scripts/infra/cassandra.sh up            start one when none answers; prints "started" (last stdout line) if this
#                                            call started it, "running" if one already answered
#   scripts/infra/cassandra.sh down [--wipe] stop the one that `up` started (never one it found running);
#                                            --wipe also deletes its data
#   scripts/infra/cassandra.sh status        prints running|starting|stopped (exit 0 only when running)
#
# Needs Java 17 (Cassandra 5.0 fails on 21+ because of the SecurityManager; a JDK 17 under /usr/lib/jvm is used when
# the default java is another version) and, for the first `up` only, Maven.
# Writes only to:
#   ${MOSAIC_INFRA_CACHE:-~/.cache/mosaic-infra}/cassandra-<version>/   the jars (Maven itself uses ~/.m2)
#   ${MOSAIC_INFRA_STATE:-<repo>/.tools/infra}/cassandra/               config, data, logs, pid file
# Other knobs: MOSAIC_CASSANDRA_HEAP (default 2g), MOSAIC_CASSANDRA_START_TIMEOUT (seconds, default 120),
# MOSAIC_CASSANDRA_JVM_OPTS (extra JVM options, split on spaces).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
here="$root/scripts/infra/cassandra"
pom="$here/pom.xml"
version=$(sed -n 's:.*<cassandra.version>\([^<]*\)</cassandra.version>.*:\1:p' "$pom")
cache="${MOSAIC_INFRA_CACHE:-$HOME/.cache/mosaic-infra}/cassandra-$version"
state="${MOSAIC_INFRA_STATE:-$root/.tools/infra}/cassandra"
heap="${MOSAIC_CASSANDRA_HEAP:-2g}"
start_timeout="${MOSAIC_CASSANDRA_START_TIMEOUT:-120}"
host=127.0.0.1
port=9042
pidfile="$state/cassandra.pid"
logdir="$state/logs"
outlog="$logdir/cassandra.out"

name=cassandra
protocol=CQL
log_files=("$logdir/system.log" "$outlog")
java_need="Java 17 (Cassandra 5.0 fails on 21+ because of the SecurityManager)"
process_marks=("-Dcassandra.config=file://$state/cassandra.yaml" org.apache.cassandra.service.CassandraDaemon)
# shellcheck source-path=SCRIPTDIR source=lib/java-server.sh
source "$root/scripts/infra/lib/java-server.sh"

# A real CQL exchange: an OPTIONS request (protocol v4, stream 0) must get a SUPPORTED response (opcode 0x06).
answers() {
  local reply
  # shellcheck disable=SC2016 # $0/$1 belong to the inner shell
  reply=$(timeout 5 bash -c 'exec 3<>"/dev/tcp/$0/$1" || exit 1
    printf "\x04\x00\x00\x00\x05\x00\x00\x00\x00" >&3
    head -c 9 <&3 | od -An -tx1' "$host" "$port" 2>/dev/null) || return 1
  reply=${reply//[[:space:]]/}
  [[ $reply == 8400000006* ]]
}

java_fits() { [ "$1" = 17 ]; }

fetched() { [ -f "$cache/lib.partial/cassandra-all-$version.jar" ]; }

render_config() {
  local tpl yaml_state
  mkdir -p "$state/data" "$logdir"
  tpl=$(<"$here/cassandra.yaml.template")
  yaml_state=${state//\'/\'\'} # the template puts the path in single quotes
  printf '%s\n' "${tpl//@STATE@/"$yaml_state"}" >"$state/cassandra.yaml"
  # The Maven jars carry no logback.xml (logback's default would be DEBUG on stdout): INFO to logs/system.log,
  # only warnings to logs/cassandra.out.
  cat >"$state/logback.xml" <<'EOF'
<configuration scan="false">
  <appender name="SYSTEMLOG" class="ch.qos.logback.core.rolling.RollingFileAppender">
    <file>${cassandra.logdir}/system.log</file>
    <rollingPolicy class="ch.qos.logback.core.rolling.SizeAndTimeBasedRollingPolicy">
      <fileNamePattern>${cassandra.logdir}/system.log.%d{yyyy-MM-dd}.%i.gz</fileNamePattern>
      <maxFileSize>20MB</maxFileSize>
      <maxHistory>3</maxHistory>
      <totalSizeCap>100MB</totalSizeCap>
    </rollingPolicy>
    <encoder><pattern>%-5level [%thread] %date{ISO8601} %logger{0} - %msg%n</pattern></encoder>
  </appender>
  <appender name="STDOUT" class="ch.qos.logback.core.ConsoleAppender">
    <filter class="ch.qos.logback.classic.filter.ThresholdFilter"><level>WARN</level></filter>
    <encoder><pattern>%-5level [%thread] %date{ISO8601} %logger{0} - %msg%n</pattern></encoder>
  </appender>
  <root level="INFO">
    <appender-ref ref="SYSTEMLOG"/>
    <appender-ref ref="STDOUT"/>
  </root>
</configuration>
EOF
}

launch() {
  local java=$1 jamm
  local -a extra=()
  jamm=$(find "$cache/lib" -maxdepth 1 -name 'jamm-*.jar' | head -n 1)
  [ -n "$jamm" ] || die "no jamm jar in $cache/lib; delete $cache and run again"
  read -r -a extra <<<"${MOSAIC_CASSANDRA_JVM_OPTS:-}"
  # Detached, stdout/stderr to a file and the lock fd closed, so neither a caller reading us through $(...) nor
  # a later `up` waits on the server.
  nohup "$java" -Xms"$heap" -Xmx"$heap" -XX:+UseG1GC "@$here/jvm17.args" \
    -javaagent:"$jamm" \
    -Dcassandra-foreground=yes \
    -Dcassandra.config="file://$state/cassandra.yaml" \
    -Dcassandra.storagedir="$state" \
    -Dcassandra.skip_wait_for_gossip_to_settle=0 \
    -Dcassandra.shutdown_announce_in_ms=0 \
    -Dcassandra.logdir="$logdir" \
    -Dlogback.configurationFile="$state/logback.xml" \
    -XX:ErrorFile="$logdir/hs_err_pid%p.log" \
    ${extra[@]+"${extra[@]}"} \
    -cp "$cache/lib/*" org.apache.cassandra.service.CassandraDaemon \
    </dev/null >"$outlog" 2>&1 9>&- &
  pid=$!
}

main "$@"
