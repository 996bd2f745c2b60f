"""GET /docs: Swagger UI on this door's /openapi.json, an API explorer whose "Try it out" calls
this listener with the key given to its "Authorize" button (the document's `x-api-key` security
definition). Its files come from the swagger-ui-py package, installed with the service: the page
loads nothing from anywhere else, and its Content-Security-Policy says so to the browser. Like
/openapi.json it needs no API key and is no RPC: the gate, the RPC metrics and the drain never
see it.

Each file is linked from the page as /docs/<name>?v=<hash of its bytes>: a browser keeps that one
for a year, and a new version of the service links new URLs. The page itself is revalidated on
every visit (ETag)."""

from __future__ import annotations

import hashlib
import importlib.util
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from aiohttp import web

from service.http.openapi import OPENAPI_ROUTE

DOCS_ROUTE = "/docs"
ASSET_ROUTE = DOCS_ROUTE + "/{name}"
# Only this origin, and only what the page needs: Swagger UI's stylesheet draws its icons from
# data: URLs (images inside the file, not fetched), its scripts call the API with fetch
# (connect-src), and no other page may frame it (its Authorize form takes a key).
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
FOREVER = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"

# swagger-ui-py's copy of Swagger UI's dist/ files that the page uses, with their media types.
_SWAGGER_UI_FILES = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui.css": "text/css",
    "index.css": "text/css",
    "favicon-32x32.png": "image/png",
}
# Swagger UI started on the document the page names; a file, since the policy runs no inline
# script. No validator badge (it would send the document to validator.swagger.io).
_INIT_JS = """\
window.addEventListener("load", () => {
  const root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.openapi,
    domNode: root,
    deepLinking: true,
    displayRequestDuration: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
});
"""
_PAGE = """\
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Payments API</title>
<link rel="stylesheet" href="{swagger-ui.css}">
<link rel="stylesheet" href="{index.css}">
<link rel="icon" type="image/png" href="{favicon-32x32.png}">
</head>
<body>
<div id="swagger-ui" data-openapi="{openapi}"></div>
<script src="{swagger-ui-bundle.js}"></script>
<script src="{init.js}"></script>
</body>
</html>
"""

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True, slots=True)
class _File:
    body: bytes
    content_type: str
    digest: str  # of the body: its ETag, and its version in the page's links

    @classmethod
    def of(cls, body: bytes, content_type: str) -> _File:
        return cls(body, content_type, hashlib.sha256(body).hexdigest()[:20])


def docs_routes() -> tuple[tuple[str, str, Handler], ...]:
    """The routes (method, path, handler): the page and its files; no API key needed."""
    files = _files()
    page = _File.of(_page(files).encode(), "text/html")

    async def serve_page(request: web.Request) -> web.StreamResponse:
        response = _answer(request, page, REVALIDATE)
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        return response

    async def serve_file(request: web.Request) -> web.StreamResponse:
        file = files.get(request.match_info["name"])
        if file is None:
            raise web.HTTPNotFound()  # the door's ROUTE_NOT_FOUND Status
        current = request.query.get("v") == file.digest
        return _answer(request, file, FOREVER if current else REVALIDATE)

    return (("GET", DOCS_ROUTE, serve_page), ("GET", ASSET_ROUTE, serve_file))


def _answer(request: web.Request, file: _File, cache_control: str) -> web.Response:
    """The file, or 304 when the browser's copy (If-None-Match) is this one."""
    fresh = any(tag.value == file.digest for tag in request.if_none_match or ())
    response = web.Response(
        status=304 if fresh else 200,
        body=None if fresh else file.body,
        content_type=file.content_type,
        charset="utf-8" if file.content_type.startswith("text/") else None,
    )
    response.etag = file.digest
    response.headers["Cache-Control"] = cache_control
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@cache
def _files() -> Mapping[str, _File]:
    """Swagger UI's files and the page's own script, read once per process."""
    folder = _swagger_ui_folder()
    files = {
        name: _File.of((folder / name).read_bytes(), content_type)
        for name, content_type in _SWAGGER_UI_FILES.items()
    }
    return {**files, "init.js": _File.of(_INIT_JS.encode(), "text/javascript")}


def _swagger_ui_folder() -> Path:
    # Found, not imported: the package's own code (its web-framework glue) is of no use here.
    spec = importlib.util.find_spec("swagger_ui")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("swagger-ui-py is not installed: /docs has no Swagger UI to serve")
    return Path(next(iter(spec.submodule_search_locations))) / "static"


def _page(files: Mapping[str, _File]) -> str:
    page = _PAGE.replace("{openapi}", OPENAPI_ROUTE)
    for name, file in files.items():
        page = page.replace("{" + name + "}", f"{DOCS_ROUTE}/{name}?v={file.digest}")
    return page
