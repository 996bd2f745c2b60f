#!/usr/bin/env bash
# The Java client (make java-client): message classes from protoc's Java generator and the gRPC
# stub from protoc-gen-grpc-java, for every file of the proto bundle but the well-known types
# (protobuf-java has those), then javac of them and clients/java against Debian's jars
# (make go-java-tools). protoc is Debian's 3.21, the version of Debian's protobuf-java.
#   tools/java_client.sh [BUNDLE [OUT]]    default dist/proto and build/java; classes in OUT/classes
# Prints the classpath to run the client with (OUT/classpath holds it too).
set -euo pipefail
cd "$(dirname "$0")/.."
bundle=${1:-dist/proto}
out=$(realpath -m "${2:-build/java}")
jars=/usr/share/java
# grpc-netty's transport and what it needs at run time; geronimo-annotation has the
# javax.annotation.Generated the 1.41 plugin puts on the stub (gone from the JDK since 11).
runtime=(grpc-api grpc-context grpc-core grpc-netty grpc-protobuf grpc-protobuf-lite grpc-stub
  protobuf protobuf-util guava gson perfmark-api netty-buffer netty-codec netty-codec-http
  netty-codec-http2 netty-codec-socks netty-common netty-handler netty-handler-proxy
  netty-resolver netty-transport)
classpath=$(printf "$jars/%s.jar:" "${runtime[@]}")$jars/geronimo-annotation-1.3-spec.jar
rm -rf "$out" && mkdir -p "$out/gen" "$out/classes"
mapfile -t files < <(cd "$bundle" && find . -name '*.proto' -not -path './google/protobuf/*' \
  -printf '%P\n' | LC_ALL=C sort)
protoc -I "$bundle" --java_out="$out/gen" \
  --plugin=protoc-gen-grpc-java=/usr/bin/grpc_java_plugin --grpc-java_out="$out/gen" "${files[@]}"
find "$out/gen" clients/java -name '*.java' >"$out/sources"
# The client JIT alone and a small GC: javac's one short run is faster so on a shared machine.
javac -J-XX:TieredStopAtLevel=1 -J-XX:+UseSerialGC -nowarn -XDsuppressNotes -encoding UTF-8 \
  -d "$out/classes" -cp "$classpath" "@$out/sources"
echo "$out/classes:$classpath" >"$out/classpath"
echo "Java client: java -cp \"\$(cat $(realpath --relative-to=. "$out/classpath"))\" CreateCustomer"
