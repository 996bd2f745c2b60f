"""google.rpc.Status as an HTTP answer: the JSON form and grpc-gateway's HTTP status per code."""

from __future__ import annotations

import json
from collections.abc import Mapping

import grpc
from google.protobuf import json_format
from google.protobuf.message import Message

# Importing error_details_pb2 registers ErrorInfo, BadRequest, RetryInfo, … in the default
# descriptor pool, which json_format uses to print the `details` (Any) with their `@type`.
from google.rpc import error_details_pb2, status_pb2  # noqa: F401 (registers the details)

from domain.errors import Violation
from service.status import ERROR_DOMAIN, bad_request, build_status, error_info

# grpc-gateway's runtime.HTTPStatusFromCode.
HTTP_STATUS_BY_CODE: Mapping[grpc.StatusCode, int] = {
    grpc.StatusCode.OK: 200,
    grpc.StatusCode.CANCELLED: 499,
    grpc.StatusCode.UNKNOWN: 500,
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.DEADLINE_EXCEEDED: 504,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.UNAUTHENTICATED: 401,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.FAILED_PRECONDITION: 400,
    grpc.StatusCode.ABORTED: 409,
    grpc.StatusCode.OUT_OF_RANGE: 400,
    grpc.StatusCode.UNIMPLEMENTED: 501,
    grpc.StatusCode.INTERNAL: 500,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DATA_LOSS: 500,
}

_CODE_BY_NUMBER: Mapping[int, grpc.StatusCode] = {code.value[0]: code for code in grpc.StatusCode}


def code_of(number: int) -> grpc.StatusCode:
    """The grpc.StatusCode of a google.rpc.Code number (UNKNOWN for one out of range)."""
    return _CODE_BY_NUMBER.get(number, grpc.StatusCode.UNKNOWN)


def http_status_of(code: grpc.StatusCode) -> int:
    return HTTP_STATUS_BY_CODE.get(code, 500)


def make_status(
    code: grpc.StatusCode,
    message: str,
    *,
    reason: str,
    metadata: Mapping[str, str] | None = None,
    field_violations: Mapping[str, str] | None = None,
) -> status_pb2.Status:
    """A Status with an ErrorInfo (and a BadRequest when fields are named), for errors the HTTP
    layer finds itself (unknown route, wrong method, body too large, …)."""
    details: list[Message] = [error_info(reason, metadata or {})]
    if field_violations:
        details.append(bad_request(Violation(f, d) for f, d in field_violations.items()))
    return build_status(code, message, details).status


def status_to_json(status: status_pb2.Status) -> dict[str, object]:
    """{"code": 5, "message": "…", "details": [{"@type": "type.googleapis.com/…", …}]}."""
    body = json_format.MessageToDict(status, preserving_proto_field_name=False)
    body["code"] = status.code  # present even for a zero code
    body.setdefault("message", "")
    body.setdefault("details", [])
    return body


def status_body(status: status_pb2.Status) -> bytes:
    return json.dumps(status_to_json(status), ensure_ascii=False).encode()


__all__ = [
    "ERROR_DOMAIN",
    "HTTP_STATUS_BY_CODE",
    "code_of",
    "http_status_of",
    "make_status",
    "status_body",
    "status_to_json",
]
