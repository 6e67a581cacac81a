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
# MOSAIC_CASSANDRA_JVM_OPTS (extra JVM options, split on spaces), MOSAIC_CASSANDRA_AUTH (default 0; 1 requires a
# login, as Kubernetes charts for Cassandra do: PasswordAuthenticator and CassandraAuthorizer, the default superuser
# cassandra/cassandra, so CASSANDRA_USERNAME=cassandra CASSANDRA_PASSWORD=cassandra for Mosaic; `up` returns once
# that login works).
# `up` refuses a running server whose authentication differs from MOSAIC_CASSANDRA_AUTH (it asks the server with a
# CQL STARTUP): `down` it first. The data may stay (roles and permissions are kept in it, unused without a login).
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

auth="${MOSAIC_CASSANDRA_AUTH:-0}"
[[ $auth == [01] ]] || die "MOSAIC_CASSANDRA_AUTH=$auth: 0 (no login, the default) or 1 (login required)"
# The default superuser, created by Cassandra itself when it starts with PasswordAuthenticator on empty data.
superuser=cassandra

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

# One CQL STARTUP (protocol v4, stream 0). Prints "open" when the server needs no login (READY), "login" when it
# asks for one (AUTHENTICATE) and no credentials are given; given user and password, sends them (SASL PLAIN) and
# prints "ok" (AUTH_SUCCESS) or "refused" (an error: wrong password, or the superuser not made yet).
cql_login() {
  # shellcheck disable=SC2016 # $0.. belong to the inner shell
  timeout 5 bash -c 'exec 3<>"/dev/tcp/$0/$1" || exit 1
    # One reply frame on fd 3, read byte by byte so nothing past it is consumed: prints its opcode.
    frame() {
      local h
      h=$(dd bs=1 count=9 <&3 2>/dev/null | od -An -tx1) || return 1
      h=${h//[[:space:]]/}
      [ ${#h} -eq 18 ] || return 1
      if ((16#${h:10:8} > 0)); then dd bs=1 count=$((16#${h:10:8})) <&3 >/dev/null 2>&1; fi
      echo "${h:8:2}"
    }
    be32() {
      local b
      for b in $(($1 >> 24 & 255)) $(($1 >> 16 & 255)) $(($1 >> 8 & 255)) $(($1 & 255)); do
        printf "\\x$(printf %02x "$b")"
      done
    }
    printf "\x04\x00\x00\x00\x01\x00\x00\x00\x16\x00\x01\x00\x0bCQL_VERSION\x00\x053.0.0" >&3
    op=$(frame) || exit 1
    case $op in
      02) echo open; exit 0 ;;
      03) ;;
      *) exit 1 ;;
    esac
    if [ -z "$2" ]; then echo login; exit 0; fi
    token=$((2 + ${#2} + ${#3}))
    { printf "\x04\x00\x00\x01\x0f"; be32 $((4 + token)); be32 "$token"; printf "\x00%s\x00%s" "$2" "$3"; } >&3
    op=$(frame) || exit 1
    if [ "$op" = 10 ]; then echo ok; else echo refused; fi' "$host" "$port" "${1:-}" "${2:-}" 2>/dev/null
}

java_fits() { [ "$1" = 17 ]; }

fetched() { [ -f "$cache/lib.partial/cassandra-all-$version.jar" ]; }

render_config() {
  local tpl yaml_state
  mkdir -p "$state/data" "$logdir"
  tpl=$(<"$here/cassandra.yaml.template")
  yaml_state=${state//\'/\'\'} # the template puts the path in single quotes
  tpl=${tpl//@STATE@/"$yaml_state"}
  if [ "$auth" = 1 ]; then
    tpl=${tpl//@AUTHENTICATOR@/PasswordAuthenticator}
    tpl=${tpl//@AUTHORIZER@/CassandraAuthorizer}
  else
    tpl=${tpl//@AUTHENTICATOR@/AllowAllAuthenticator}
    tpl=${tpl//@AUTHORIZER@/AllowAllAuthorizer}
  fi
  printf '%s\n' "$tpl" >"$state/cassandra.yaml"
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
  # With a login required, the default superuser is made 10 s after start-up unless told otherwise; a single node
  # has no peers to wait for.
  if [ "$auth" = 1 ]; then extra=(-Dcassandra.superuser_setup_delay_ms=0 ${extra[@]+"${extra[@]}"}); fi
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

# The shared `up`, then the authentication check: the server must be in the mode asked for, and with a login,
# `up` returns once the superuser can log in (Cassandra creates it a moment after CQL answers).
eval "server_$(declare -f up)"
up() {
  local out mode t0 reply
  out=$(server_up)
  mode=$(cql_login) || die "$protocol on $host:$port did not answer a STARTUP"
  if [ "$auth" = 1 ] && [ "$mode" = open ]; then
    die "the server on $host:$port takes no login but MOSAIC_CASSANDRA_AUTH=1 asks for one: stop it first (\`$0 down\` if this script started it) or unset MOSAIC_CASSANDRA_AUTH"
  fi
  if [ "$auth" = 0 ] && [ "$mode" = login ]; then
    die "the server on $host:$port requires a login but MOSAIC_CASSANDRA_AUTH is not 1: stop it first (\`$0 down\` if this script started it) or set MOSAIC_CASSANDRA_AUTH=1"
  fi
  if [ "$auth" = 1 ]; then
    t0=$SECONDS
    until reply=$(cql_login "$superuser" "$superuser") && [ "$reply" = ok ]; do
      if ((SECONDS - t0 > start_timeout)); then
        log_tail
        die "the login $superuser/$superuser still fails after $start_timeout s (${reply:-no answer})"
      fi
      sleep 0.5
    done
    say "login $superuser/$superuser accepted after $((SECONDS - t0)) s"
  fi
  echo "$out"
}

main "$@"
