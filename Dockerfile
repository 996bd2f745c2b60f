# syntax=docker/dockerfile:1
# The payments service's image (docs/deploy.md). A builder stage makes the service's wheel from
# this checkout; the runtime stage installs it with the dependency versions of uv.lock and runs
# `python -m service` as a non-root user. Settings come from the environment (README's table).
#
#   docker build -t payments-service:0.1.0 .

# One Python for both stages, pinned to a full version (the project's requires-python is 3.11);
# written out, not as an ARG, so that hadolint checks the tag.
FROM python:3.11.14-slim-bookworm AS python
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore
SHELL ["/bin/bash", "-o", "pipefail", "-c"]

FROM python AS builder
# The Makefile's UV_VERSION (tests/deploy checks that they agree).
ARG UV_VERSION=0.13.9
WORKDIR /src
RUN pip install "uv==${UV_VERSION}"
COPY pyproject.toml uv.lock ./
# uv.lock's versions, as pip constraints: of the build tools (dev group) for this stage, and of
# the service's own dependencies (no dev tools) for the runtime stage. (DL3013 asks for versions
# on pip's command line: the constraints file gives them.)
# hadolint ignore=DL3013
RUN uv export --frozen --no-hashes --only-group dev --no-emit-project --quiet \
      --output-file /tmp/build-constraints.txt \
 && uv export --frozen --no-hashes --no-dev --no-emit-project --quiet \
      --output-file /tmp/constraints.txt \
 && pip install --constraint /tmp/build-constraints.txt build setuptools
# The wheel's contents (pyproject's packages.find): the layers, and the generated stubs and
# OpenAPI document, which are committed (make generate); README.md is the wheel's description.
COPY README.md ./
COPY domain/ domain/
COPY service/ service/
COPY stripe_adapter/ stripe_adapter/
COPY ledger/ ledger/
COPY generated/ generated/
RUN python -m build --wheel --no-isolation --outdir /dist . \
 && mv /tmp/constraints.txt /dist/

FROM python AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
# A fixed uid/gid, so that Kubernetes' runAsNonRoot can check it (deploy/deployment.yaml).
RUN groupadd --system --gid 10001 payments \
 && useradd --system --uid 10001 --gid payments --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin payments
# The wheel and its dependencies at uv.lock's versions; pip compiles the bytecode now, since the
# root filesystem is read-only when the service runs.
RUN --mount=type=bind,from=builder,source=/dist,target=/dist \
    pip install --constraint /dist/constraints.txt /dist/payments_service-*.whl
COPY --chmod=0555 deploy/healthcheck.py /opt/payments/healthcheck.py
# Inside a container the gRPC door listens on every interface (the service's own default is
# loopback). The HTTP/JSON door stays off unless PAYMENTS_HTTP_ADDR is set, e.g. 0.0.0.0:8080;
# so do the metrics unless PAYMENTS_METRICS_ADDR is, e.g. 0.0.0.0:9090. Plaintext on every
# interface is refused unless PAYMENTS_ALLOW_PLAINTEXT=true (behind a mesh sidecar that
# encrypts) or TLS is configured (PAYMENTS_TLS_CERT_FILE, PAYMENTS_TLS_KEY_FILE): the run
# decides, not the image.
ENV PAYMENTS_LISTEN_ADDR=0.0.0.0:50051
# The built-in SQLite ledger's directory, for a single container without PAYMENTS_DATABASE_URL
# (mount a volume here to keep it); replicas share a PostgreSQL ledger instead.
RUN install --directory --owner 10001 --group 10001 --mode 0700 /var/lib/payments
ENV PAYMENTS_DATA_DIR=/var/lib/payments
VOLUME /var/lib/payments
EXPOSE 50051 8080 9090
USER 10001:10001
# grpc.health.v1 Check of the whole server: healthy while SERVING, unhealthy once draining.
HEALTHCHECK --interval=10s --timeout=5s --start-period=10s --retries=3 \
    CMD ["python", "/opt/payments/healthcheck.py"]
# SIGTERM (the default stop signal) drains within PAYMENTS_GRACE_SECONDS; give `docker stop`
# a longer --time than that.
ENTRYPOINT ["python", "-m", "service"]
