#!/usr/bin/env bash
# `npm ci` in the given folder from its committed package-lock.json, only when node_modules is
# missing or older than the lock (fast when nothing changed). Only the npm registry is asked.
set -euo pipefail
dir=$1
stamp=$dir/node_modules/.installed-from-lock
if [ -f "$stamp" ] && [ "$stamp" -nt "$dir/package-lock.json" ]; then
  exit 0
fi
echo "npm: installing $dir from package-lock.json"
npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error
touch "$stamp"
