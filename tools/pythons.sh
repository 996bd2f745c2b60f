#!/usr/bin/env bash
# Prints "VERSION PATH" for each supported Python (the arguments, e.g. 3.12 3.13) this machine
# has: pythonX.Y on PATH if it runs, else a pyenv installation. Nothing is downloaded.
set -euo pipefail
for version in "$@"; do
  found=
  if python$version -c '' 2>/dev/null; then
    found=$(python$version -c 'import sys; print(sys.executable)')
  else
    root=$(pyenv root 2>/dev/null || echo "${PYENV_ROOT:-$HOME/.pyenv}")
    for candidate in "$root"/versions/"$version".*/bin/python"$version"; do
      [ -x "$candidate" ] && found=$candidate
    done
  fi
  [ -n "$found" ] && echo "$version $found"
done
exit 0
