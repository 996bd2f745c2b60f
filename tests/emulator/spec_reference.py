"""Stripe's published OpenAPI spec and fixtures, used to check the emulator against them.

They live outside the project at ``<repo>/../shared/stripe-reference/``; tests that need
them skip (saying so) when the directory is absent.
"""

from __future__ import annotations

import copy
import functools
import json
from pathlib import Path
from typing import Any

import jsonschema

from stripe_emulator.state import RecordedRequest

REFERENCE_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "stripe-reference"
SPEC_PATH = REFERENCE_DIR / "spec3.json"
FIXTURES_PATH = REFERENCE_DIR / "fixtures3.json"
MISSING_REASON = f"Stripe's reference spec/fixtures are not available at {REFERENCE_DIR}"

# Param checks whose failures the spec must agree with. Others ("missing", "empty",
# "value": ranges, formats, cross-field rules) are Stripe rules the spec cannot express.
SPEC_MUST_REJECT = frozenset({"unknown", "integer", "enum", "type"})

JSONSchema = dict[str, Any]


def available() -> bool:
    return SPEC_PATH.is_file() and FIXTURES_PATH.is_file()


@functools.cache
def spec() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SPEC_PATH.read_text())
    return loaded


@functools.cache
def fixtures() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(FIXTURES_PATH.read_text())
    return loaded


def request_schema(method: str, route: str) -> JSONSchema:
    """The schema of the decoded params: the form body (POST) or the query params (GET)."""
    operation = spec()["paths"][route][method.lower()]
    if method == "POST":
        schema: JSONSchema = operation["requestBody"]["content"][
            "application/x-www-form-urlencoded"
        ]["schema"]
        return schema
    query = [p for p in operation.get("parameters", []) if p["in"] == "query"]
    return {
        "type": "object",
        "additionalProperties": False,
        "properties": {p["name"]: p["schema"] for p in query},
        "required": [p["name"] for p in query if p.get("required")],
    }


def coerce(value: Any, schema: JSONSchema) -> Any:
    """Form values are strings; convert them to what the schema expects before validating."""
    if "anyOf" in schema:
        for option in schema["anyOf"]:
            candidate = coerce(value, option)
            if jsonschema.Draft202012Validator(option).is_valid(candidate):
                return candidate
        return value
    kind = schema.get("type")
    if isinstance(value, str):
        # Stripe integers are 64-bit, a bound its JSON Schema does not state.
        if kind == "integer" and value.lstrip("-").isdigit() and abs(int(value)) < 2**63:
            return int(value)
        if kind == "number":
            try:
                return float(value)
            except ValueError:
                return value
        if kind == "boolean" and value in ("true", "false"):
            return value == "true"
        return value
    if isinstance(value, list) and kind == "array":
        return [coerce(item, schema.get("items", {})) for item in value]
    if isinstance(value, dict) and kind == "object":
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        return {
            key: coerce(item, properties.get(key, extra if isinstance(extra, dict) else {}))
            for key, item in value.items()
        }
    return value


def closed(schema: Any) -> Any:
    """Stripe rejects unknown nested params too, but its spec only closes the top level."""
    if isinstance(schema, list):
        return [closed(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    result = {key: closed(value) for key, value in schema.items()}
    if "properties" in result and "additionalProperties" not in result:
        result["additionalProperties"] = False
    return result


def spec_errors(method: str, route: str, params: dict[str, Any]) -> list[str]:
    schema = closed(request_schema(method, route))
    instance = coerce(copy.deepcopy(params), schema)
    validator = jsonschema.Draft202012Validator(schema)
    return [error.message for error in validator.iter_errors(instance)]


def conformance_problems(recorded: list[RecordedRequest]) -> list[str]:
    """Requests the emulator treated differently from how Stripe's spec describes them."""
    problems = []
    for request in recorded:
        found = spec_errors(request.method, request.route, request.params)
        label = f"{request.method} {request.route} {request.params!r} -> {request.status}"
        if request.error_rule in SPEC_MUST_REJECT and not found:
            problems.append(f"{label}: emulator rejected params the spec accepts")
        if request.executed and found:
            problems.append(f"{label}: emulator accepted params the spec rejects: {found}")
    return problems
