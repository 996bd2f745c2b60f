"""Finishes the Swagger 2.0 document that protoc-gen-swagger 1.6.4 writes from proto/.

1.6.4 cannot express everything the API document needs, so this step (run by tools/generate.sh):
  * adds the error schema the proto's default response points at: google.rpc.Status
    (`googleRpcStatus`) with its `protobufAny` details;
  * describes each server-streaming operation's answer as the HTTP door writes it:
    newline-delimited JSON (`produces: application/x-ndjson`), each line `{"result": message}`
    or, last, `{"error": Status}` (1.6.4 only says "(streaming responses)");
  * marks repeated query parameters `collectionFormat: multi` (`?statuses=A&statuses=B`, as the
    HTTP door reads them; 1.6.4 leaves Swagger's default, comma-separated);
  * copies each message's example (`openapiv2_schema.example`, a JSON string in the proto, which
    1.6.4 ignores) into its definition as `example`;
  * fails when the document's routes differ from the google.api.http rules or a `$ref` dangles;
  * writes deterministic JSON: sorted keys, 2-space indent, trailing newline.

Usage: python tools/openapi_postprocess.py RAW.json OUT.json [DESCRIPTOR_SET] [GENERATED_DIR]
The descriptor set (default build/api.binpb) holds our protos with their options; the generated
Python modules (default generated/) register the option extensions needed to read them.
"""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

# googleapis-common-protos has no py.typed marker (and its stubs mistype the extensions).
from google.api import annotations_pb2 as http_annotations
from google.api import http_pb2
from google.protobuf import descriptor_pb2

ERROR_DEFINITIONS: dict[str, Any] = {
    "googleRpcStatus": {
        "type": "object",
        "description": (
            "The error model of gRPC and Google APIs (google.rpc.Status): a status code, a "
            "developer-facing message and a list of details such as google.rpc.ErrorInfo."
        ),
        "properties": {
            "code": {
                "type": "integer",
                "format": "int32",
                "description": "The status code, a value of google.rpc.Code.",
            },
            "message": {
                "type": "string",
                "description": "A developer-facing error message, in English.",
            },
            "details": {
                "type": "array",
                "items": {"$ref": "#/definitions/protobufAny"},
                "description": "Messages that carry the error details.",
            },
        },
    },
    "protobufAny": {
        "type": "object",
        "description": "A message of any type (google.protobuf.Any), named by its `@type`.",
        "properties": {
            "@type": {
                "type": "string",
                "description": (
                    "The type of the message, such as `type.googleapis.com/google.rpc.ErrorInfo`."
                ),
            },
        },
        "additionalProperties": {},
    },
}

NDJSON_TYPE = "application/x-ndjson"
STREAM_DESCRIPTION = (
    "A stream of newline-delimited JSON, one line per message as it is sent: "
    '`{"result": message}`; when the stream fails after it started, a last line '
    '`{"error": google.rpc.Status}`. A failure before the first message is the `default` error '
    "response instead."
)

# googleapis-common-protos' .pyi types the extension as a plain FieldDescriptor.
HTTP_RULE: Any = http_annotations.http


def load_files(descriptor_set: Path, generated: Path) -> list[descriptor_pb2.FileDescriptorProto]:
    # The swagger option extensions must be registered before parsing, or they stay unknown
    # fields; their Python module lives in generated/.
    sys.path.insert(0, str(generated))
    importlib.import_module("protoc_gen_swagger.options.annotations_pb2")
    fds = descriptor_pb2.FileDescriptorSet.FromString(descriptor_set.read_bytes())
    return list(fds.file)


def definition_name(fqn: str, definitions: dict[str, Any]) -> str | None:
    # protoc-gen-swagger names a definition by the shortest unique tail of the package plus the
    # message name (payments.v1.Customer -> v1Customer).
    parts = fqn.split(".")
    for k in range(2, len(parts) + 1):
        name = "".join(parts[-k:])
        if name in definitions:
            return name
    return None


def add_examples(files: list[descriptor_pb2.FileDescriptorProto], doc: dict[str, Any]) -> None:
    options = importlib.import_module("protoc_gen_swagger.options.annotations_pb2")
    definitions: dict[str, Any] = doc["definitions"]
    for f in files:
        for msg in f.message_type:
            schema = msg.options.Extensions[options.openapiv2_schema]
            if not schema.HasField("example"):
                continue
            fqn = f"{f.package}.{msg.name}"
            name = definition_name(fqn, definitions)
            if name is None:
                # A message only used as path/query parameters has no definition to carry it.
                continue
            try:
                example = json.loads(schema.example.value)
            except json.JSONDecodeError as e:
                raise SystemExit(f"{fqn}: openapiv2_schema.example is not JSON: {e}") from e
            check_example(fqn, example, definitions[name], definitions)
            definitions[name]["example"] = example


def check_example(where: str, example: object, schema: dict[str, Any], definitions: Any) -> None:
    # Catches examples that drift from the messages, e.g. a renamed field or a proto name
    # where the document uses JSON names.
    ref = schema.get("$ref")
    if isinstance(ref, str):
        schema = definitions[ref.rsplit("/", 1)[-1]]
    properties = schema.get("properties")
    if not isinstance(example, dict) or properties is None:
        return
    for key, value in example.items():
        if key not in properties:
            raise SystemExit(f"{where}: example has `{key}`, not a field of the message")
        check_example(f"{where}.{key}", value, properties[key], definitions)


def http_routes(rule: http_pb2.HttpRule) -> Iterator[tuple[str, str]]:
    pattern = rule.WhichOneof("pattern")
    if pattern == "custom":
        yield rule.custom.kind.lower(), rule.custom.path
    elif pattern is not None:
        yield pattern, getattr(rule, pattern)
    for extra in rule.additional_bindings:
        yield from http_routes(extra)


def check_routes(files: list[descriptor_pb2.FileDescriptorProto], doc: dict[str, Any]) -> None:
    expected = {
        route
        for f in files
        for service in f.service
        for method in service.method
        if method.options.HasExtension(HTTP_RULE)
        for route in http_routes(method.options.Extensions[HTTP_RULE])
    }
    actual = {(verb, path) for path, ops in doc["paths"].items() for verb in ops}
    if expected != actual:
        raise SystemExit(
            "OpenAPI routes differ from the google.api.http rules:\n"
            f"  only in the proto: {sorted(expected - actual)}\n"
            f"  only in the document: {sorted(actual - expected)}"
        )


def describe_streams(files: list[descriptor_pb2.FileDescriptorProto], doc: dict[str, Any]) -> None:
    streams = {
        route
        for f in files
        for service in f.service
        for method in service.method
        if method.server_streaming and method.options.HasExtension(HTTP_RULE)
        for route in http_routes(method.options.Extensions[HTTP_RULE])
    }
    for verb, path in sorted(streams):
        operation = doc["paths"][path][verb]
        ok = operation["responses"]["200"]
        line = {
            "type": "object",
            "title": f"Stream line of {ok['schema']['$ref'].rsplit('/', 1)[-1]}",
            "properties": {
                "result": ok["schema"],
                "error": {"$ref": "#/definitions/googleRpcStatus"},
            },
        }
        operation["produces"] = [NDJSON_TYPE]
        operation["responses"]["200"] = {"description": STREAM_DESCRIPTION, "schema": line}


def mark_repeated_query_parameters(doc: dict[str, Any]) -> None:
    for item in doc["paths"].values():
        for operation in item.values():
            for parameter in operation.get("parameters", ()):
                if parameter["in"] == "query" and parameter.get("type") == "array":
                    parameter["collectionFormat"] = "multi"


def refs(node: object) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from refs(item)


def check_refs(doc: dict[str, Any]) -> None:
    prefix = "#/definitions/"
    known = {prefix + name for name in doc["definitions"]}
    dangling = sorted(set(refs(doc)) - known)
    if dangling:
        raise SystemExit(f"OpenAPI document has dangling $refs: {dangling}")


def main(argv: list[str]) -> None:
    if len(argv) not in (2, 3, 4):
        raise SystemExit(__doc__)
    raw, out = Path(argv[0]), Path(argv[1])
    descriptor_set = Path(argv[2]) if len(argv) > 2 else Path("build/api.binpb")
    generated = Path(argv[3]) if len(argv) > 3 else Path("generated")

    doc: dict[str, Any] = json.loads(raw.read_text(encoding="utf-8"))
    files = load_files(descriptor_set, generated)
    doc.setdefault("definitions", {}).update(ERROR_DEFINITIONS)
    add_examples(files, doc)
    check_routes(files, doc)
    describe_streams(files, doc)
    mark_repeated_query_parameters(doc)
    check_refs(doc)
    out.write_text(json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n", "utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
