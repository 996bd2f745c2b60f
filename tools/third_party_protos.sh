#!/usr/bin/env bash
# Gathers the .proto sources our contract imports from the packages that ship them into an
# ignored build folder: they are other projects' files, never committed here.
#   buf/validate/validate.proto  <- the protovalidate 1.2.0 sdist on PyPI (its wheel lacks it)
#   google/api, google/rpc       <- googleapis-common-protos, installed in .venv
#   protoc-gen-swagger/options   <- Debian's golang-github-grpc-ecosystem-grpc-gateway-dev
set -euo pipefail
out=${1:-build/third_party}
venv_site=$(.venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
mkdir -p "$out"

if [ ! -f "$out/buf/validate/validate.proto" ]; then
  tmp=$(mktemp -d)
  # --no-binary only for protovalidate: ":all:" would also build pip's build backends from
  # source (minutes). The hash pins the exact sdist.
  python3 -m pip download --quiet --no-deps --no-binary protovalidate --dest "$tmp" \
    protovalidate==1.2.0
  echo "4cb9a5065f32abc9baf2cf25c5bd09a139f7dffb7b8692f636a8e3e6883bb9a2  $tmp/protovalidate-1.2.0.tar.gz" |
    sha256sum --check --quiet
  mkdir -p "$out/buf/validate"
  tar -xzf "$tmp/protovalidate-1.2.0.tar.gz" -C "$tmp" \
    protovalidate-1.2.0/upstream/proto/buf/validate/validate.proto
  cp "$tmp/protovalidate-1.2.0/upstream/proto/buf/validate/validate.proto" "$out/buf/validate/"
  rm -rf "$tmp"
fi

mkdir -p "$out/google/api" "$out/google/rpc"
cp "$venv_site"/google/api/{annotations,http}.proto "$out/google/api/"
cp "$venv_site"/google/rpc/{status,error_details,code}.proto "$out/google/rpc/"

swagger_src=/usr/share/gocode/src/github.com/grpc-ecosystem/grpc-gateway/protoc-gen-swagger/options
if [ -d "$swagger_src" ]; then
  mkdir -p "$out/protoc-gen-swagger/options"
  cp "$swagger_src"/{annotations,openapiv2}.proto "$out/protoc-gen-swagger/options/"
fi
