#!/usr/bin/env bash
# Unpacks a Debian package's files into a folder without installing it: for a package that
# conflicts with one the project installs elsewhere. Downloaded with apt-get, only when the folder
# does not hold apt's candidate version yet (fast, idempotent).
#   tools/apt_unpack.sh PACKAGE FOLDER
set -euo pipefail
pkg=$1
dest=$2
candidate() { apt-cache policy "$pkg" | awk '/Candidate:/ {print $2}'; }
version=$(candidate)
if [ -z "$version" ] || [ "$version" = "(none)" ]; then  # apt's lists are missing or stale
  sudo=
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq
  version=$(candidate)
fi
stamp=$dest/.unpacked-$pkg
[ -f "$stamp" ] && [ "$(cat "$stamp")" = "$version" ] && exit 0
echo "apt: unpacking $pkg $version into $dest"
download=$(mktemp -d)
trap 'rm -rf "$download"' EXIT
# As root, apt downloads as its _apt user.
[ "$(id -u)" -ne 0 ] || chown _apt "$download" 2>/dev/null || true
(cd "$download" && apt-get download -qq "$pkg=$version")
rm -rf "$dest" && mkdir -p "$dest"
dpkg-deb -x "$download"/*.deb "$dest"
echo "$version" >"$stamp"
