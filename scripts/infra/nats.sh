#!/usr/bin/env bash
# Makes sure a NATS server with JetStream answers on 127.0.0.1:4222 (our machines normally run one).
#   scripts/infra/nats.sh up     start one when none answers; prints "started" if this call started it
#   scripts/infra/nats.sh down   stop the one that `up` started (never one it found running)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
name=nats
package=nats-server
binary=nats-server
port=4222
state="$root/.tools/nats"
pidfile="$state/nats.pid"

launch() {
  mkdir -p "$state/jetstream"
  nohup nats-server -a 127.0.0.1 -p "$port" -js -sd "$state/jetstream" -l "$state/nats.log" -P "$pidfile" \
    >/dev/null 2>&1 &
}

# shellcheck source-path=SCRIPTDIR source=lib/system-server.sh
source "$root/scripts/infra/lib/system-server.sh"
main "$@"
