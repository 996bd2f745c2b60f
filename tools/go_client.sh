#!/usr/bin/env bash
# The Go client (make go-client): message and gRPC stubs generated from the proto bundle by
# protoc-gen-go and protoc-gen-go-grpc, then `go build` of clients/go and of the benchmarks' gRPC
# load generator (bench/grpc_load) on the same stubs, all offline against the Go sources Debian
# packages in /usr/share/gocode (make go-tools), in GOPATH mode.
# protoc-gen-go (v1.28) is built from golang-google-protobuf-dev's source: Debian's protoc-gen-go
# package conflicts with the protoc-gen-go-1-3 that `make tools` (grpc-gateway) needs.
#   tools/go_client.sh [BUNDLE [OUT]]    default dist/proto and build/go
# The client is OUT/bin/create_customer, the load generator OUT/bin/grpc_load.
# Our files and the imports no Debian package generates (buf/validate, protoc-gen-swagger's
# options) get Go packages under the module path `paymentsclient/gen` by `M` options; google/api,
# google/rpc and the well-known types keep their own go_package, which Debian provides.
set -euo pipefail
cd "$(dirname "$0")/.."
bundle=${1:-dist/proto}
out=$(realpath -m "${2:-build/go}")
module=paymentsclient/gen
rm -rf "$out/src/$module" "$out/bin" && mkdir -p "$out/src/$module" "$out/bin"
mapfile -t files < <(cd "$bundle" && find payments buf protoc-gen-swagger -name '*.proto' |
  LC_ALL=C sort)
mappings=()
for file in "${files[@]}"; do
  dir=$(dirname "$file")
  mappings+=("M$file=$module/$dir;$(tr -d /- <<<"$dir")")
done
opts=$(IFS=,; echo "paths=import,${mappings[*]}")
# GOPATH mode: the generated packages in OUT/src, golang/protobuf 1.5 from Debian's package
# unpacked by make go-tools (it must shadow the 1.3 in /usr/share/gocode), the rest from
# Debian's /usr/share/gocode.
export GOPATH="$out:$PWD/build/debian/golang-protobuf-1.5/usr/share/gocode:/usr/share/gocode"
export GO111MODULE=off GOFLAGS= GOCACHE="$PWD/build/go-cache"
go build -o "$out/bin/protoc-gen-go" google.golang.org/protobuf/cmd/protoc-gen-go
protoc -I "$bundle" --plugin="$out/bin/protoc-gen-go" --go_out="$out/src" --go_opt="$opts" \
  --go-grpc_out="$out/src" --go-grpc_opt="$opts" "${files[@]}"
go build -o "$out/bin/create_customer" ./clients/go
go build -o "$out/bin/grpc_load" ./bench/grpc_load
echo "Go client: $(realpath --relative-to=. "$out/bin/create_customer")"
echo "gRPC load generator: $(realpath --relative-to=. "$out/bin/grpc_load")"
