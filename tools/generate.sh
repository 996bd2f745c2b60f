#!/usr/bin/env bash
# Regenerates everything derived from proto/ (make generate):
#   generated/                          Python modules, .pyi stubs, gRPC stubs, __init__.py files
#   generated/payments/v1/payments.swagger.json  Swagger 2.0 document (protoc-gen-swagger + our
#                                       post-processing), package data the HTTP door serves
#   uv.lock                             kept fresh
# Outputs are built in build/ and then swapped in whole, so a deleted proto leaves no stale file.
set -euo pipefail
cd "$(dirname "$0")/.."
protoc() { python -m grpc_tools.protoc -I proto -I build/third_party "$@"; }

# Before .venv/bin joins PATH: the script downloads with python3 -m pip, which the venv lacks.
tools/third_party_protos.sh build/third_party
export PATH="$PWD/.venv/bin:$PATH"

mapfile -t ours < <(cd proto && find . -name '*.proto' -printf '%P\n' | LC_ALL=C sort)

# Other projects' protos that ours import (transitively) and whose Python modules no installed
# package ships: every import except google/* (protobuf and googleapis-common-protos have those).
protoc --include_imports --descriptor_set_out=build/imports.binpb "${ours[@]}"
protoc --descriptor_set_out=build/api.binpb "${ours[@]}"  # ours alone, read by the post-processing
mapfile -t third < <(python - build/imports.binpb proto <<'PY'
import pathlib, sys
from google.protobuf import descriptor_pb2
fds = descriptor_pb2.FileDescriptorSet.FromString(pathlib.Path(sys.argv[1]).read_bytes())
for f in fds.file:
    if not f.name.startswith("google/") and not (pathlib.Path(sys.argv[2]) / f.name).exists():
        print(f.name)
PY
)

gen=build/generated.new
rm -rf "$gen" && mkdir -p "$gen"
protoc --python_out="$gen" --mypy_out=quiet:"$gen" --grpc_python_out="$gen" --mypy_grpc_out=quiet:"$gen" \
  "${ours[@]}"
# Third-party protos declare no services: no gRPC stubs for them.
protoc --python_out="$gen" --mypy_out=quiet:"$gen" "${third[@]}"
# Regular (not namespace) packages, so setuptools' find and mypy see them.
find "$gen" -mindepth 1 -type d -exec touch {}/__init__.py \;

# Swagger 2.0: protoc-gen-swagger 1.6.4 (Debian golang-grpc-gateway) merges all our protos into
# one document, with the proto comments as descriptions and the JSON (lowerCamelCase) field
# names that the HTTP gateway (service/http, json_format) emits; tools/openapi_postprocess.py adds what
# 1.6.4 cannot express (error schema, examples) and checks the routes.
raw=build/openapi.raw
rm -rf "$raw" && mkdir -p "$raw"
protoc --plugin=protoc-gen-swagger=/usr/bin/protoc-gen-swagger \
  --swagger_out=allow_merge=true,merge_file_name=payments,json_names_for_fields=true:"$raw" "${ours[@]}"
python tools/openapi_postprocess.py "$raw/payments.swagger.json" \
  "$gen/payments/v1/payments.swagger.json" build/api.binpb "$gen"
rm -rf generated && mv "$gen" generated

uv lock --quiet
# Reinstall the editable project if generated/ gained packages (see cache-keys in pyproject).
uv sync --frozen --quiet
