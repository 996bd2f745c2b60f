#!/usr/bin/env bash
# The contract for clients in any language (make proto-bundle): proto/payments and every .proto
# it imports, transitively, in one include root that a stock protoc compiles with nothing else:
#   buf export      ours + other projects' imports (buf/validate, google/api, protoc-gen-swagger)
#                   and google/rpc (the google.rpc.Status details every error carries)
#   google/protobuf the well-known types those import, from grpcio-tools' copy (buf leaves them
#                   out: every protoc has them built in, but the bundle should not depend on it)
# Output (default dist/proto) is a build product, never committed; `make client-wheel` ships it
# in the payments-api wheel (payments/proto_bundle/).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-dist/proto}
rm -rf "$out" && mkdir -p "$out"
.venv/bin/buf export . --path proto/payments --path build/third_party/google/rpc --output "$out"

wkt=$(.venv/bin/python -c 'import grpc_tools, pathlib; print(pathlib.Path(grpc_tools.__file__).parent / "_proto")')
mapfile -t wanted < <(cd "$out" && find . -name '*.proto' -printf '%P\n' | LC_ALL=C sort)
.venv/bin/python -m grpc_tools.protoc -I "$out" --include_imports \
  --descriptor_set_out="$out/.imports.binpb" "${wanted[@]}"
.venv/bin/python - "$out" "$wkt" <<'PY'
import pathlib, shutil, sys
from google.protobuf import descriptor_pb2
out, wkt = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
fds = descriptor_pb2.FileDescriptorSet.FromString((out / ".imports.binpb").read_bytes())
for f in fds.file:
    if not (out / f.name).exists():
        (out / f.name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(wkt / f.name, out / f.name)
PY
rm "$out/.imports.binpb"
echo "proto bundle: $out ($(find "$out" -name '*.proto' | wc -l) files; include root for protoc -I)"
