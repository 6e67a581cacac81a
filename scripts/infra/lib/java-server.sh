# shellcheck shell=bash disable=SC2154 # the variables are set by the sourcing script (listed below)
# The shared half of scripts/infra/cassandra.sh and s3proxy.sh: a Java server fetched once from Maven Central and
# run detached on 127.0.0.1, that `up` starts only when nothing answers, `down` stops only if `up` started it, and
# both serialise on a lock (tests may call `up` concurrently). Sourced after the caller has set:
#
#   name, protocol          for messages ("cassandra", "CQL")
#   pom, version, cache     the pom that pins the version, and where the jars go (outside git)
#   state, pidfile, logdir  the server's folder (config, data, logs), its pid file
#   host, port, start_timeout
#   log_files               (array) what to show when start-up fails
#   java_need               what the server needs, for the message when no suitable JDK is found
#   process_marks           (array) fixed strings that together identify our process in `ps` (the state path first)
#
# and defined the hooks:
#   answers         a real protocol exchange with the server succeeds
#   java_fits SPEC  the JDK's java.specification.version SPEC can run it
#   fetched         the jars Maven copied into $cache/lib.partial are complete
#   render_config   writes the config into $state
#   launch JAVA     starts the server detached (stdout/stderr to a file, lock fd 9 closed) and sets `pid`

marker="$cache/.complete"

say() { echo "$name: $*" >&2; }
die() {
  say "$*"
  exit 1
}

port_open() { (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; }

# The pid of the server that `up` started, when alive: the pid file first, a process list scan if it was lost.
our_pid() {
  local pid args mark matches
  if [ -f "$pidfile" ]; then
    pid=$(<"$pidfile")
    if [[ $pid =~ ^[0-9]+$ ]] && args=$(ps -p "$pid" -o args= 2>/dev/null) && grep -qF -- "${process_marks[0]}" <<<"$args"; then
      echo "$pid"
      return 0
    fi
  fi
  matches=$(ps -eo pid=,args= 2>/dev/null) || true
  for mark in "${process_marks[@]}"; do
    matches=$(grep -F -- "$mark" <<<"$matches") || true
  done
  pid=$(awk 'NR == 1 { print $1 }' <<<"$matches")
  [ -n "$pid" ] || return 1
  echo "$pid" >"$pidfile"
  echo "$pid"
}

# Serialises up/down of this state folder. Never inherited by the server (launch closes fd 9).
lock() {
  mkdir -p "$state"
  exec 9>"$state/.lock"
  if command -v flock >/dev/null 2>&1; then
    flock -w 300 9 || die "another $name script holds $state/.lock"
  fi
}

java_spec() { "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = //p'; }

find_java() {
  local cand
  for cand in ${JAVA_HOME:+"$JAVA_HOME/bin/java"} "$(command -v java 2>/dev/null || true)" /usr/lib/jvm/*/bin/java; do
    if [ -z "$cand" ] || [ ! -x "$cand" ]; then continue; fi
    if java_fits "$(java_spec "$cand")"; then
      echo "$cand"
      return 0
    fi
  done
  return 1
}

# Copies the pom's runtime dependencies into $cache/lib once; a download cut short is redone.
fetch_from_maven() {
  local java_home=$1 t0
  [ -f "$marker" ] && return 0
  command -v mvn >/dev/null 2>&1 ||
    die "Maven (mvn) is missing; it is needed once to fetch $name $version from Maven Central (Debian: apt-get install maven)"
  say "fetching $name $version from Maven Central into $cache (once)"
  t0=$SECONDS
  mkdir -p "$cache"
  rm -rf "${cache:?}/lib" "${cache:?}/lib.partial"
  # (Debian's Maven 3.8 prints colour resets even with -B; sed drops them. pipefail keeps Maven's status.)
  JAVA_HOME=$java_home mvn -q -B -Dstyle.color=never -f "$pom" dependency:copy-dependencies \
    -DoutputDirectory="$cache/lib.partial" -DincludeScope=runtime 2>&1 | sed $'s/\e\\[[0-9;]*m//g' >&2 ||
    die "Maven could not fetch $name $version (is Maven Central reachable? see the output above)"
  fetched || die "Maven ran but the jars of $name $version are not all in $cache/lib.partial"
  mv "$cache/lib.partial" "$cache/lib"
  echo "$version" >"$marker"
  say "fetched $(find "$cache/lib" -name '*.jar' | wc -l) jar(s) ($(du -sh "$cache/lib" | cut -f1)) in $((SECONDS - t0)) s"
}

log_tail() {
  local f
  for f in "${log_files[@]}"; do
    if [ -s "$f" ]; then
      echo "----- last lines of $f -----" >&2
      tail -n 40 "$f" >&2
    fi
  done
}

# Waits until the server answers; fails when the process dies or the time is up.
wait_ready() {
  local pid=$1 t0=$2 now
  while :; do
    if answers; then
      now=$(date +%s%N)
      say "$protocol ready on $host:$port after $(((now - t0) / 1000000000)).$(((now - t0) / 100000000 % 10)) s (pid $pid, logs in $logdir)"
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      say "the server exited during start-up"
      log_tail
      rm -f "$pidfile"
      return 1
    fi
    if (($(date +%s%N) - t0 > start_timeout * 1000000000)); then
      say "$protocol did not answer on $host:$port within $start_timeout s; stopping it"
      log_tail
      stop_pid "$pid"
      return 1
    fi
    sleep 0.2
  done
}

stop_pid() {
  local pid=$1 i
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 60; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  if kill -0 "$pid" 2>/dev/null; then
    say "pid $pid still alive after 30 s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    sleep 0.5
  fi
  rm -f "$pidfile"
}

up() {
  local java java_home t0
  pid=""
  if answers; then
    echo running
    return 0
  fi
  lock
  if answers; then # another `up` finished while we waited for the lock
    echo running
    return 0
  fi
  if pid=$(our_pid); then # started earlier, still starting
    say "pid $pid (started earlier) is still starting; waiting"
    wait_ready "$pid" "$(date +%s%N)" || exit 1
    echo running
    return 0
  fi
  rm -f "$pidfile"
  if port_open; then
    die "something that does not speak $protocol listens on $host:$port; free the port first"
  fi
  if ! java=$(find_java); then
    die "$name $version needs $java_need; the default java is $(java_spec "$(command -v java 2>/dev/null || echo java)" 2>/dev/null || echo missing) and there is none under /usr/lib/jvm. Install one (Debian: apt-get install openjdk-17-jre-headless) or set JAVA_HOME to it."
  fi
  java_home=$(dirname "$(dirname "$(readlink -f "$java")")")
  fetch_from_maven "$java_home"
  mkdir -p "$logdir"
  render_config
  say "starting $name $version on $host:$port with $java (state in $state)"
  t0=$(date +%s%N)
  launch "$java"
  echo "$pid" >"$pidfile"
  wait_ready "$pid" "$t0" || exit 1
  echo started
}

down() {
  local pid wipe=${1:-}
  [ -z "$wipe" ] || [ "$wipe" = --wipe ] || die "usage: $0 down [--wipe]"
  lock
  if pid=$(our_pid); then
    say "stopping pid $pid (SIGTERM, up to 30 s)"
    stop_pid "$pid"
    say "stopped"
  else
    rm -f "$pidfile"
    if answers; then
      say "the server on $host:$port was not started by this script; leaving it alone"
    else
      say "not running"
    fi
  fi
  if [ "$wipe" = --wipe ]; then
    rm -rf "${state:?}/data"
    say "wiped $state/data"
  fi
}

status() {
  local pid
  if answers; then
    if pid=$(our_pid); then
      say "answers $protocol on $host:$port (pid $pid, state in $state)"
    else
      say "answers $protocol on $host:$port (not started by this script)"
    fi
    echo running
    return 0
  fi
  if pid=$(our_pid); then
    say "pid $pid is alive but $protocol does not answer yet on $host:$port"
    echo starting
  else
    echo stopped
  fi
  return 3
}

main() {
  [ -n "$version" ] || die "no version in $pom"
  case "${1:-}" in
    up) up ;;
    down) down "${2:-}" ;;
    status) status ;;
    *)
      echo "usage: $0 up|down [--wipe]|status" >&2
      exit 2
      ;;
  esac
}
