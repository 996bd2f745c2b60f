"""TLS for both doors from certificate files (PAYMENTS_TLS_CERT_FILE, PAYMENTS_TLS_KEY_FILE),
optionally requiring client certificates signed by PAYMENTS_TLS_CLIENT_CA_FILE (mTLS), whose
common name is then the caller's identity. The files are read again when they change (a renewed
certificate): checked at each new gRPC handshake, and every RELOAD_CHECK_SECONDS for HTTP, so
new connections get the new certificate without a restart; connections open keep theirs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import ssl
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar, cast

import grpc

log = logging.getLogger("service.tls")

_T = TypeVar("_T")

RELOAD_CHECK_SECONDS = 5.0


class TlsError(ValueError):
    """The certificate files cannot be used; the message names the file, never its content."""


@dataclass(frozen=True, slots=True)
class TlsFiles:
    cert_file: str
    key_file: str
    client_ca_file: str | None = None

    @property
    def paths(self) -> tuple[str, ...]:
        return (self.cert_file, self.key_file, *filter(None, (self.client_ca_file,)))


def check(files: TlsFiles) -> None:
    """Raises TlsError unless the files make a working server context (at start-up)."""
    server_context(files)


def server_context(files: TlsFiles) -> ssl.SSLContext:
    """The HTTP door's context: TLS 1.2 or later; client certificates required with a CA."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    _load(context, files)
    return context


def _load(context: ssl.SSLContext, files: TlsFiles) -> None:
    try:
        context.load_cert_chain(files.cert_file, files.key_file)
    except (OSError, ssl.SSLError) as error:
        raise TlsError(f"cannot use the certificate {files.cert_file} with its key "
                       f"{files.key_file}: {_why(error)}") from None  # fmt: skip
    if files.client_ca_file is not None:
        try:
            context.load_verify_locations(cafile=files.client_ca_file)
        except (OSError, ssl.SSLError) as error:
            raise TlsError(
                f"cannot use the client CA {files.client_ca_file}: {_why(error)}"
            ) from None
        context.verify_mode = ssl.CERT_REQUIRED


def _why(error: OSError) -> str:
    """The reason, without the file's content (ssl.SSLError is an OSError)."""
    reason = getattr(error, "reason", None) if isinstance(error, ssl.SSLError) else None
    return str(reason or error.strerror or type(error).__name__)


class ServerCertificates:
    """The files as each door serves them now; each door notices a change on its own."""

    def __init__(self, files: TlsFiles) -> None:
        self.files = files
        self.http_context = server_context(files)
        self._seen = {door: self._stamps() for door in ("gRPC", "HTTP")}

    def _stamps(self) -> tuple[tuple[int, int], ...]:
        stamps = []
        for path in self.files.paths:
            with contextlib.suppress(OSError):  # gone mid-rename: a change, seen again later
                stat = os.stat(path)
                stamps.append((stat.st_mtime_ns, stat.st_size))
        return tuple(stamps)

    def _changed_for(self, door: str) -> bool:
        stamps = self._stamps()
        if stamps == self._seen[door]:
            return False
        self._seen[door] = stamps
        return True

    def grpc_credentials(self) -> grpc.ServerCredentials:
        # The stubs say the fetcher returns a configuration; gRPC documents None as "no change".
        fetch = cast(Callable[[], grpc.ServerCertificateConfiguration], self._grpc_fetch)
        return grpc.dynamic_ssl_server_credentials(
            self._grpc_configuration(),
            fetch,
            require_client_authentication=self.files.client_ca_file is not None,
        )

    def _grpc_configuration(self) -> grpc.ServerCertificateConfiguration:
        pair = (Path(self.files.key_file).read_bytes(), Path(self.files.cert_file).read_bytes())
        ca = self.files.client_ca_file
        roots = Path(ca).read_bytes() if ca else None
        return grpc.ssl_server_certificate_configuration([pair], root_certificates=roots)

    def _grpc_fetch(self) -> grpc.ServerCertificateConfiguration | None:
        """Called by gRPC at each new handshake: a new configuration once the files changed."""
        return self._reloaded("gRPC", self._grpc_configuration)

    def reload_http(self) -> None:
        """New HTTP connections get the files as they are now, once they changed."""
        self._reloaded("HTTP", lambda: _load(self.http_context, self.files))

    def _reloaded(self, door: str, load: Callable[[], _T]) -> _T | None:
        """What `load` makes of the files once they changed for `door` (and work together);
        None, the door keeping what it has, when they did not change or cannot be used."""
        if not self._changed_for(door):
            return None
        try:
            check(self.files)
            loaded = load()
        except (TlsError, OSError) as error:
            log.error("%s kept its certificate: the changed files cannot be used: %s", door, error)
            return None
        log.info("%s certificate reloaded from %s", door, self.files.cert_file)
        return loaded

    @contextlib.asynccontextmanager
    async def watching(self) -> AsyncIterator[None]:
        """Checks the files for the HTTP door every RELOAD_CHECK_SECONDS while the block runs."""
        task = asyncio.create_task(self._watch(), name="certificate-reload")
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(RELOAD_CHECK_SECONDS)
            self.reload_http()
