"""HTTP/JSON transcoding of PaymentService, in-process: routes derived from the protos'
`google.api.http` rules, served by aiohttp through the same auth, validation, servicer and error
mapping as gRPC. Start it with `serve_http(addr, servicer, authenticator)`."""

from service.http.app import (
    DEFAULT_TIMEOUT_SECONDS,
    MAX_BODY_BYTES,
    OPENAPI_ROUTE,
    HttpListener,
    create_app,
    routes_of,
    serve_http,
)
from service.http.bindings import BindingError, HttpBinding, derive_bindings

__all__ = [
    "DEFAULT_TIMEOUT_SECONDS",
    "MAX_BODY_BYTES",
    "OPENAPI_ROUTE",
    "BindingError",
    "HttpBinding",
    "HttpListener",
    "create_app",
    "derive_bindings",
    "routes_of",
    "serve_http",
]
