"""The emulator and the service wired as `make run` wires them, on a ledger of the benchmark's
choosing: the emulator delivers every event, signed, to the service's `POST /stripe/webhooks`;
the service keeps its ledger on SQLite or PostgreSQL. And a PostgreSQL database to put it on.

    with postgres_database() as url, payment_stack(tmp, url) as stack:
        stack.grpc_target, stack.http_url, stack.emulator_url, stack.webhook_secret
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
from benchlib import EMULATOR_STRIPE_KEY, REPO, start_logged, started_emulator
from psycopg import sql
from sqlalchemy import make_url

from tools.stack import (
    ENDPOINT_READY,
    PLACEHOLDER_WEBHOOK_URL,
    new_webhook_secret,
    point_webhooks,
    webhook_url_of,
)

API_KEY = "bench-api-key-0123456789abcdef"
GRPC_READY = "payments service listening on grpc://"
HTTP_READY = "payments service listening on http://"


@dataclass(frozen=True)
class PaymentStack:
    emulator_url: str
    grpc_target: str
    http_url: str
    service_pid: int
    webhook_secret: str
    database_url: str


@contextmanager
def payment_stack(
    tmp: Path,
    database_url: str,
    settings: Mapping[str, str] | None = None,
    profile: Path | None = None,
    source: Path | None = None,
) -> Iterator[PaymentStack]:
    """`python -m stripe_emulator` and `python -m service` (gRPC and HTTP on 127.0.0.1:0, the
    webhook intake on, the ledger at `database_url`, and `settings`: more of its environment),
    their logs in `tmp`, until the block ends. `profile`: the service runs under cProfile, which
    writes its stats there when the service stops. `source`: another checkout whose service runs
    instead of this one's, on its own interpreter (its .venv, made by `make venv` there)."""
    secret = new_webhook_secret()
    webhooks = ["--webhook-url", PLACEHOLDER_WEBHOOK_URL, "--webhook-secret", secret]
    with started_emulator(
        tmp / "emulator.log", extra_args=webhooks, also=(ENDPOINT_READY,)
    ) as emulator:
        env = {
            "PAYMENTS_API_KEYS": API_KEY,
            "STRIPE_SECRET_KEY": EMULATOR_STRIPE_KEY,
            "STRIPE_API_BASE": emulator.address,
            "PAYMENTS_LISTEN_ADDR": "127.0.0.1:0",
            "PAYMENTS_HTTP_ADDR": "127.0.0.1:0",
            "PAYMENTS_WEBHOOK_INTAKE": "true",
            "STRIPE_WEBHOOK_SECRETS": secret,
            "PAYMENTS_DATABASE_URL": database_url,
            **(settings or {}),
        }
        service = start_service(env, tmp / "service.log", profile, source)
        with service as (grpc_target, http_address, pid):
            endpoint = emulator.extra[ENDPOINT_READY].split()[0]
            point_webhooks(emulator.address, endpoint, webhook_url_of(http_address))
            yield PaymentStack(
                emulator.address, grpc_target, f"http://{http_address}", pid, secret, database_url
            )


@contextmanager
def start_service(
    env: dict[str, str],
    log_file: Path,
    profile: Path | None = None,
    source: Path | None = None,
) -> Iterator[tuple[str, str, int]]:
    """(gRPC host:port, HTTP host:port, pid) of `python -m service`, once both doors listen;
    `source`: as payment_stack's (-P keeps the working directory off sys.path)."""
    profiled = [] if profile is None else ["-m", "cProfile", "-o", str(profile)]
    argv = [sys.executable, *profiled, "-m", "service"]
    if source is not None:
        argv = [str(source / ".venv" / "bin" / "python"), "-P", *argv[1:]]
        env = {**env, "PYTHONPATH": f"{source}:{source / 'generated'}"}
    with start_logged(
        argv, ready=GRPC_READY, also=(HTTP_READY,), env=env, log_file=log_file
    ) as started:
        yield started.address, started.extra[HTTP_READY], started.process.pid


@contextmanager
def postgres_database() -> Iterator[str]:
    """A new database, dropped after the block, on PAYMENTS_TEST_DATABASE_URL's server or on a
    throwaway one (tools/postgres.sh, as `make test` does: it installs Debian's postgresql if
    absent; fsync off)."""
    with postgres_server() as server:
        name = f"bench_{time.time_ns()}"
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        try:
            yield make_url(server).set(database=name).render_as_string(hide_password=False)
        finally:
            with psycopg.connect(server, autocommit=True) as admin:
                admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


@contextmanager
def postgres_server() -> Iterator[str]:
    given = os.environ.get("PAYMENTS_TEST_DATABASE_URL")
    if given:
        yield given
        return
    directory = tempfile.mkdtemp(prefix="payments-postgres.")
    script = REPO / "tools" / "postgres.sh"
    url = subprocess.run(
        [script, "start", directory], check=True, capture_output=True, text=True
    ).stdout.strip()
    try:
        yield url
    finally:
        subprocess.run([script, "stop", directory], check=True, capture_output=True)
