# shellcheck shell=bash disable=SC2154 # the variables are set by the sourcing script (listed below)
# The shared half of scripts/infra/nats.sh and redis.sh: a server our machines normally run already, started here
# from Debian's package only when nothing answers, and stopped by `down` only if `up` started it. Sourced after
# the caller has set `name`, `package` (Debian), `binary`, `port`, `state`, `pidfile`, and defined `launch`,
# which starts the server detached (its stdout not ours, or a caller reading us through $(...) would wait).

answers() { (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; }

up() {
  if answers; then exit 0; fi
  if ! command -v "$binary" >/dev/null 2>&1; then
    if [ "$(id -u)" != 0 ]; then
      echo "$name: $binary is missing and this is not root; install it (Debian: $package)" >&2
      exit 1
    fi
    echo "$name: installing $package from Debian's packages" >&2
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$package" >&2
  fi
  mkdir -p "$state"
  launch
  for _ in $(seq 1 50); do
    if answers; then
      echo started
      exit 0
    fi
    sleep 0.2
  done
  echo "$name: no answer on 127.0.0.1:$port; see the log in $state" >&2
  exit 1
}

down() {
  if [ -f "$pidfile" ]; then
    kill "$(cat "$pidfile")" 2>/dev/null || true
    rm -f "$pidfile"
  fi
}

main() {
  case "${1:-}" in
    up) up ;;
    down) down ;;
    *)
      echo "usage: $0 up|down" >&2
      exit 2
      ;;
  esac
}
