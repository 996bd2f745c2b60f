"""GET /docs: Swagger UI on /openapi.json, from files the service serves itself (no CDN, no other
origin), under a Content-Security-Policy of this origin only; no API key; not an RPC.
tests/browser/test_docs_in_browser.py uses the page in chromium."""

from __future__ import annotations

import logging
import re
from html.parser import HTMLParser

import pytest

from service.http.docs import CONTENT_SECURITY_POLICY
from tests.edge.conftest import Stack, error_info

MEDIA_TYPES = {".js": "text/javascript", ".css": "text/css", ".png": "image/png"}


class _Links(HTMLParser):
    """Every src and href of a page, and the explorer's data-openapi."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.openapi: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href") and value is not None:
                self.urls.append(value)
            if name == "data-openapi" and value is not None:
                self.openapi.append(value)


async def page(stack: Stack) -> tuple[str, _Links]:
    async with stack.client.get(stack.url + "/docs") as response:  # no key
        assert response.status == 200
        assert response.content_type == "text/html"
        assert response.charset == "utf-8"
        html = await response.text()
    links = _Links()
    links.feed(html)
    return html, links


async def test_the_page_links_only_its_own_files_and_the_openapi_document(stack: Stack) -> None:
    html, links = await page(stack)

    assert links.openapi == ["/openapi.json"]
    assert sorted(url.split("?")[0] for url in links.urls) == [
        "/docs/favicon-32x32.png",
        "/docs/index.css",
        "/docs/init.js",
        "/docs/swagger-ui-bundle.js",
        "/docs/swagger-ui.css",
    ]
    assert re.search(r"(?i)(https?:|//)\w", html) is None, "no URL of another origin"
    assert "<script>" not in html, "no inline script: the policy forbids it"
    assert re.search(r"<style|style=", html) is None, "no inline style either"


async def test_the_page_has_a_policy_of_this_origin_only(stack: Stack) -> None:
    async with stack.client.get(stack.url + "/docs") as response:
        policy = response.headers["Content-Security-Policy"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Cache-Control"] == "no-cache"
        etag = response.headers["ETag"]

    assert policy == CONTENT_SECURITY_POLICY
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["default-src"] == "'none'"
    for fetching in ("script-src", "style-src", "connect-src"):
        assert directives[fetching] == "'self'"
    assert directives["img-src"] == "'self' data:"  # the stylesheet's icons are inside it
    assert directives["frame-ancestors"] == "'none'"
    async with stack.client.get(stack.url + "/docs", headers={"If-None-Match": etag}) as again:
        assert again.status == 304


async def test_each_file_has_its_media_type_and_is_kept_while_its_url_is_current(
    stack: Stack,
) -> None:
    _, links = await page(stack)

    for url in links.urls:
        async with stack.client.get(stack.url + url) as response:
            assert response.status == 200, url
            suffix = url.split("?")[0][url.rindex(".") :]
            assert response.content_type == MEDIA_TYPES[suffix], url
            assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
            assert response.headers["X-Content-Type-Options"] == "nosniff"
            assert len(await response.read()) > 0
            etag = response.headers["ETag"]
        async with stack.client.get(stack.url + url, headers={"If-None-Match": etag}) as again:
            assert (again.status, await again.read()) == (304, b"")


@pytest.mark.parametrize("query", ["", "?v=0123456789abcdef0123"])
async def test_a_file_asked_for_by_another_version_is_revalidated(stack: Stack, query: str) -> None:
    # An older page (another version of the service behind the same address) links other
    # hashes: what it gets now must not stay in its cache for a year.
    async with stack.client.get(f"{stack.url}/docs/swagger-ui.css{query}") as response:
        assert response.status == 200
        assert response.headers["Cache-Control"] == "no-cache"


@pytest.mark.parametrize(
    "path", ["/docs/nothing.js", "/docs/LICENSE", "/docs/", "/docs/%2E%2E%2Fopenapi.py"]
)
async def test_an_unknown_file_is_route_not_found(stack: Stack, path: str) -> None:
    async with stack.client.get(stack.url + path) as response:
        assert response.status == 404
        assert response.content_type == "application/json"
        body = await response.json()

    assert body["code"] == 5  # NOT_FOUND
    assert error_info(body)["reason"] == "ROUTE_NOT_FOUND"


async def test_the_page_is_no_call(stack: Stack, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="service.http.access")
    stack.service.drain.begin(grace_seconds=5)  # a call now would be SHUTTING_DOWN

    _, links = await page(stack)
    async with stack.client.get(stack.url + links.urls[0]) as response:
        assert response.status == 200

    lines = [r.getMessage() for r in caplog.records if r.name == "service.http.access"]
    assert [line.split(" ")[:4] for line in lines] == [
        ["GET", "/docs", "200", "rpc=-"],
        ["GET", links.urls[0].split("?")[0], "200", "rpc=-"],
    ]
    assert b"payments_rpc_calls_total{" not in stack.service.metrics.exposition()
    assert stack.gateway.calls == []
