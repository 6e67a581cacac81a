#!/usr/bin/env bash
# Makes sure a Redis answers on 127.0.0.1:6379 (our machines normally run one).
#   scripts/infra/redis.sh up     start one when none answers; prints "started" if this call started it
#   scripts/infra/redis.sh down   stop the one that `up` started (never one it found running)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
name=redis
package=redis-server
binary=redis-server
port=6379
state="$root/.tools/redis"
pidfile="$state/redis.pid"

launch() {
  redis-server --daemonize yes --bind 127.0.0.1 --port "$port" --save "" --appendonly no \
    --dir "$state" --pidfile "$pidfile" --logfile "$state/redis.log" >/dev/null
}

# shellcheck source-path=SCRIPTDIR source=lib/system-server.sh
source "$root/scripts/infra/lib/system-server.sh"
main "$@"
