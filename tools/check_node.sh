#!/usr/bin/env bash
# Node.js >= 20 and npm, for the TypeScript client and the browser test. Debian 12's own nodejs
# is 18, too old for the pinned packages, so this does not install one: it says what is missing.
set -euo pipefail
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "ERROR: Node.js >= 20 and npm are needed (node and npm on PATH); install them, e.g. from nodejs.org" >&2
  exit 2
fi
major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 20 ]; then
  echo "ERROR: Node.js $(node --version) is too old: the TypeScript client and the browser test need >= 20" >&2
  exit 2
fi
