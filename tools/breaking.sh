#!/usr/bin/env bash
# buf breaking: proto/ as it is now against proto/ of the previous commit (HEAD~1).
# Both sides are built into buf images with the same third-party protos (build/third_party),
# since those are not committed; the rules (FILE) come from buf.yaml's proto module.
set -euo pipefail
cd "$(dirname "$0")/.."
base=${BREAKING_AGAINST:-HEAD~1}

# CI may check out a shallow clone: fetch the parent if it is missing.
if ! git rev-parse -q --verify "$base^{commit}" >/dev/null \
  && [ "$(git rev-parse --is-shallow-repository)" = true ]; then
  git fetch --quiet --deepen=1 || true
fi
if ! git rev-parse -q --verify "$base^{commit}" >/dev/null; then
  if [ "$(git rev-parse --is-shallow-repository)" = true ]; then
    echo "breaking: $base is not in this shallow clone and could not be fetched" >&2
    exit 1
  fi
  echo "breaking: notice: no $base (first commit); nothing to compare against"
  exit 0
fi
if [ -z "$(git ls-tree -d "$base" proto)" ]; then
  echo "breaking: notice: $base has no proto/ (first contract commit); nothing to compare against"
  exit 0
fi

# Before .venv/bin joins PATH: the script downloads with python3 -m pip, which the venv lacks.
tools/third_party_protos.sh build/third_party
export PATH="$PWD/.venv/bin:$PATH"
prev=build/previous
rm -rf "$prev" && mkdir -p "$prev"
git archive "$base" proto | tar -x -C "$prev"
cp -r build/third_party "$prev/third_party"
printf 'version: v2\nmodules:\n  - path: proto\n  - path: third_party\n' >"$prev/buf.yaml"

buf build -o build/current.binpb
buf build "$prev" -o build/previous.binpb
buf breaking build/current.binpb --against build/previous.binpb \
  --exclude-path buf --exclude-path google --exclude-path protoc-gen-swagger --config buf.yaml
echo "breaking: OK against $base ($(git rev-parse --short "$base"))"
