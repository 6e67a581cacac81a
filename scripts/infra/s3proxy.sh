#!/usr/bin/env bash
# Makes sure an S3-compatible server (S3Proxy, filesystem backend) answers on 127.0.0.1:8081, without Docker: the
# self-contained jar comes from Maven Central (scripts/infra/s3proxy/pom.xml pins the version) and runs on the
# machine's JDK (17 or later).
#
#   scripts/infra/s3proxy.sh up            start one when none answers; prints "started" (last stdout line) if this
#                                          call started it, "running" if one already answered
#   scripts/infra/s3proxy.sh down [--wipe] stop the one that `up` started (never one it found running);
#                                          --wipe also deletes its buckets
#   scripts/infra/s3proxy.sh status        prints running|starting|stopped (exit 0 only when running)
#
# Clients sign with AWS SigV4 (or V2): access key "mosaic", secret key "mosaic-secret-key", any region, path-style
# addressing (http://127.0.0.1:8081/<bucket>/<key>).
# Writes only to:
#   ${MOSAIC_INFRA_CACHE:-~/.cache/mosaic-infra}/s3proxy-<version>/   the jar (Maven itself uses ~/.m2)
#   ${MOSAIC_INFRA_STATE:-<repo>/.tools/infra}/s3proxy/               s3proxy.properties, buckets (data/), logs, pid file
# Other knobs: MOSAIC_S3PROXY_HEAP (default 512m), MOSAIC_S3PROXY_START_TIMEOUT (seconds, default 60),
# MOSAIC_S3PROXY_JVM_OPTS (extra JVM options, split on spaces).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
here="$root/scripts/infra/s3proxy"
pom="$here/pom.xml"
version=$(sed -n 's:.*<s3proxy.version>\([^<]*\)</s3proxy.version>.*:\1:p' "$pom")
cache="${MOSAIC_INFRA_CACHE:-$HOME/.cache/mosaic-infra}/s3proxy-$version"
state="${MOSAIC_INFRA_STATE:-$root/.tools/infra}/s3proxy"
heap="${MOSAIC_S3PROXY_HEAP:-512m}"
start_timeout="${MOSAIC_S3PROXY_START_TIMEOUT:-60}"
host=127.0.0.1
port=8081
identity=mosaic
credential=mosaic-secret-key
jarname="s3proxy-$version-jar-with-dependencies.jar"
jar="$cache/lib/$jarname"
pidfile="$state/s3proxy.pid"
props="$state/s3proxy.properties"
logdir="$state/logs"
outlog="$logdir/s3proxy.out"

name=s3proxy
protocol=S3
log_files=("$outlog")
java_need="Java 17 or later"
process_marks=("--properties $props" "$jarname")
# shellcheck source-path=SCRIPTDIR source=lib/java-server.sh
source "$root/scripts/infra/lib/java-server.sh"

# A real S3 exchange: an unsigned GET / must be answered over HTTP with an S3 request id (S3Proxy refuses it with
# 403 AccessDenied, which is fine: it proves the server is up and doing S3 auth), not merely accept the connection.
answers() {
  local reply
  # shellcheck disable=SC2016 # $0/$1 belong to the inner shell
  reply=$(timeout 5 bash -c 'exec 3<>"/dev/tcp/$0/$1" || exit 1
    printf "GET / HTTP/1.0\r\nHost: %s:%s\r\n\r\n" "$0" "$1" >&3
    head -c 2048 <&3' "$host" "$port" 2>/dev/null) || return 1
  [[ $reply == HTTP/1.* ]] && grep -qi '^x-amz-request-id:' <<<"$reply"
}

# S3Proxy 4.x is built for Java 17 (its pom's java.version); any later JDK runs it too.
java_fits() { [[ $1 =~ ^[0-9]+$ ]] && (($1 >= 17)); }

fetched() { [ -f "$cache/lib.partial/$jarname" ]; }

render_config() {
  mkdir -p "$state/data" "$logdir"
  # jclouds.* names the storage backend: "filesystem" (S3Proxy's NIO.2 filesystem store; 4.x no longer bundles
  # jclouds but keeps its property names), one folder per bucket under data/. Its identity/credential are unused
  # by the filesystem backend but required by S3Proxy's start-up check.
  cat >"$props" <<EOF
s3proxy.endpoint=http://$host:$port
s3proxy.authorization=aws-v2-or-v4
s3proxy.identity=$identity
s3proxy.credential=$credential
jclouds.provider=filesystem
jclouds.identity=$identity
jclouds.credential=$credential
jclouds.filesystem.basedir=$state/data
EOF
}

launch() {
  local java=$1
  local -a extra=()
  [ -f "$jar" ] || die "no $jar; delete $cache and run again"
  read -r -a extra <<<"${MOSAIC_S3PROXY_JVM_OPTS:-}"
  # Detached, stdout/stderr to a file and the lock fd closed, so neither a caller reading us through $(...) nor
  # a later `up` waits on the server. LOG_LEVEL is read by the jar's own logback.xml: warnings only, since at
  # info it logs a line per request.
  LOG_LEVEL="${MOSAIC_S3PROXY_LOG_LEVEL:-warn}" nohup "$java" -Xms64m -Xmx"$heap" \
    -XX:ErrorFile="$logdir/hs_err_pid%p.log" \
    ${extra[@]+"${extra[@]}"} \
    -jar "$jar" --properties "$props" \
    </dev/null >"$outlog" 2>&1 9>&- &
  pid=$!
}

main "$@"
