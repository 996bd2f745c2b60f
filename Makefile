# Build, checks and CI of the payments service. Every target works on a fresh clone as root:
# it installs what it needs, and is quick when everything is already there. `make help` lists them.
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

export UV_PYTHON_DOWNLOADS := never
# pip refuses to install into Debian's system Python (PEP 668) unless told to; we only add uv.
export PIP_BREAK_SYSTEM_PACKAGES := 1
UV_VERSION := 0.13.9
# uv on PATH, else the one pip put into python3 (its script dir may not be on PATH).
UV = $(shell command -v uv 2>/dev/null || echo python3 -m uv)
RUN = $(UV) run --frozen
VENV_STAMP := .venv/.make-synced

PROTO_APT := golang-grpc-gateway golang-github-grpc-ecosystem-grpc-gateway-dev
BENCH_APT := wrk nghttp2-client
# The Kubernetes version whose schemas (bundled with kubernetes-validate) deploy/ must pass.
K8S_VERSION := 1.34.0
# Debian's own chromium: the browser test never downloads one (playwright-core has none).
BROWSER_APT := chromium
# Debian's PostgreSQL server: tests/postgres.py starts a throwaway cluster of it for the ledger's tests.
POSTGRES_APT := postgresql
# Debian's Go and Java toolchains and gRPC libraries, for the Go and Java client tests
# (tests/clients) and the benchmarks' Go load generator (Go alone: go-tools): protoc 3.21 (protobuf-compiler) matches libprotobuf-java 3.21; the Go packages
# are sources for GOPATH builds, offline. golang/protobuf 1.5 (the APIv1 shim over google.golang.org/protobuf that
# gRPC's codec calls) conflicts with the 1.3 that grpc-gateway's package (PROTO_APT) holds, so it
# is unpacked into build/debian, never installed.
GO_PROTOBUF_1_5 := build/debian/golang-protobuf-1.5
GO_APT := protobuf-compiler golang-go protoc-gen-go-grpc golang-google-grpc-dev \
	golang-google-protobuf-dev golang-google-genproto-dev
JAVA_APT := protobuf-compiler default-jdk-headless libprotobuf-java libgrpc-java \
	protobuf-compiler-grpc-java-plugin libnetty-java libperfmark-java libgoogle-gson-java \
	libgeronimo-annotation-1.3-spec-java
# The Python versions the project supports (pyproject's requires-python); PYTHON=3.12 (or a path)
# picks one for .venv, else uv takes the first supported interpreter on PATH. Never downloaded.
PYTHONS := 3.11 3.12 3.13
PYTHON_RANGE := >=3.11,<3.14
PYTHON_NAMES := 3.11, 3.12 or 3.13
PYTHON ?=

.PHONY: help venv tools bench-tools third-party generate check-generated lint typecheck \
	breaking openapi-validate test ci run demo pay bench client-wheel client-venv clean distclean \
	browser-tools node ts-client go-client java-client go-tools go-java-tools proto-bundle test-pythons \
	deploy-lint postgres-tools migrate profile

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-17s %s\n", $$1, $$2}'

venv: $(VENV_STAMP) ## uv (pip-installed if missing) and .venv from uv.lock

# PYTHON=… given: sync every time (uv replaces .venv when its interpreter is another one).
$(VENV_STAMP): pyproject.toml uv.lock $(if $(PYTHON),FORCE)
	@if ! command -v uv >/dev/null && ! python3 -m uv --version >/dev/null 2>&1; then \
	  python3 -m pip --version >/dev/null 2>&1 || tools/apt_install.sh python3-pip; \
	  python3 -m pip install --quiet uv==$(UV_VERSION); \
	fi
	@$(UV) python find --quiet '$(or $(PYTHON),$(PYTHON_RANGE))' >/dev/null 2>&1 || { \
	  echo "ERROR: no Python $(or $(PYTHON),$(PYTHON_NAMES)) found on PATH; make never downloads one." >&2; \
	  echo "Install one (Debian 12: apt-get install python3; pyenv install 3.12), or name it: make PYTHON=/path/to/python3.12 ..." >&2; \
	  exit 2; }
	$(UV) sync --frozen --python '$(or $(PYTHON),$(PYTHON_RANGE))'
	@touch $@

tools: venv bench-tools ## Debian packages: protoc-gen-swagger and its option protos (+ bench tools)
	@tools/apt_install.sh $(PROTO_APT)

bench-tools: ## Debian packages: wrk, h2load (nghttp2-client)
	@tools/apt_install.sh $(BENCH_APT)

browser-tools: node ## Debian's chromium and playwright-core (tests/browser), for the browser test
	@tools/apt_install.sh $(BROWSER_APT)
	@tools/npm_ci.sh tests/browser

go-tools: ## Debian's Go, protoc, protoc-gen-go-grpc and Go gRPC sources: the Go client, bench/grpc_load
	@tools/apt_install.sh $(GO_APT)
	@tools/apt_unpack.sh golang-github-golang-protobuf-1-5-dev $(GO_PROTOBUF_1_5)

go-java-tools: go-tools ## Debian's Go, Java, protoc and their gRPC plugins and libraries, for the Go/Java client tests
	@tools/apt_install.sh $(JAVA_APT)

postgres-tools: ## Debian's PostgreSQL server, for the ledger's tests (tools/postgres.sh starts it)
	@tools/apt_install.sh $(POSTGRES_APT)

node: ## Check that Node.js >= 20 and npm are there (the TypeScript client and the browser test)
	@tools/check_node.sh

third-party: venv ## Other projects' .proto sources into build/third_party (never committed)
	@tools/apt_install.sh $(PROTO_APT)
	@tools/third_party_protos.sh build/third_party

generate: venv tools ## generated/, generated/payments/v1/payments.swagger.json and uv.lock, from proto/
	tools/generate.sh

check-generated: generate ## Fail when committed generated files differ from make generate
	@changes=$$(git status --porcelain --untracked-files=all -- generated uv.lock); \
	if [ -n "$$changes" ]; then \
	  echo "ERROR: generated files are stale: run 'make generate' and commit the result:" >&2; \
	  echo "$$changes" >&2; exit 1; \
	fi; echo "generated files are up to date"

lint: third-party ## buf lint and buf format (proto/ only), import contracts, ruff check, ruff format --check
	.venv/bin/buf lint
	.venv/bin/buf format --diff --exit-code proto
	$(RUN) lint-imports
	$(RUN) ruff check .
	$(RUN) ruff format --check .

# mypy takes its files from pyproject; the folders that have no Python yet are skipped, since
# mypy fails on them.
typecheck: venv ## mypy --strict over pyproject's [tool.mypy] files that exist
	@files=$$($(RUN) python -c 'import pathlib, tomllib; \
	  c = tomllib.load(open("pyproject.toml", "rb"))["tool"]["mypy"]["files"]; \
	  print(" ".join(f for f in c if next(pathlib.Path(f).glob("**/*.py"), None)))'); \
	echo "mypy $$files"; $(RUN) mypy $$files

breaking: third-party ## buf breaking: proto/ against HEAD~1's (BREAKING_AGAINST=<rev> to change)
	tools/breaking.sh

openapi-validate: venv ## openapi-spec-validator on the generated OpenAPI document
	$(RUN) openapi-spec-validator generated/payments/v1/payments.swagger.json

# Offline: hadolint is a binary inside its PyPI wheel, kubernetes-validate carries its schemas.
deploy-lint: venv ## hadolint on the Dockerfile; deploy/*.yaml against Kubernetes' schemas (strict)
	$(RUN) hadolint --failure-threshold style Dockerfile
	$(RUN) kubernetes-validate --strict --quiet --kubernetes-version $(K8S_VERSION) deploy/*.yaml
	@echo "Dockerfile and deploy/*.yaml pass (Kubernetes $(K8S_VERSION))"

test: venv client-venv browser-tools ts-client postgres-tools go-java-tools ## pytest (also in a headless chromium, Node, PostgreSQL, Go and Java)
	$(RUN) pytest -q

# The other supported Pythons: each gets its own venv from the same uv.lock in build/, and runs
# the unit and end-to-end tests. Only the versions this machine has (PATH or pyenv): a fresh
# Debian 12 has 3.11 alone, and then this checks nothing more than `make test`.
# The whole-system runs (pytest.mark.system: hundreds of payments, processes killed) are left to
# make test: they take a minute a Python and test the system, not the interpreter.
test-pythons: venv ## The unit and e2e tests under the other supported Pythons found here
	@main=$$(.venv/bin/python -c 'import sys; print("%d.%d" % sys.version_info[:2])'); \
	tools/pythons.sh $(PYTHONS) | while read -r version python; do \
	  [ "$$version" = "$$main" ] && continue; \
	  echo "=== Python $$version ($$python)"; \
	  UV_PROJECT_ENVIRONMENT=build/venv-$$version $(UV) sync --frozen --quiet --python "$$python"; \
	  build/venv-$$version/bin/python -m pytest -q -p no:cacheprovider -m "not system" tests/unit tests/e2e; \
	done

ci: ## Everything CI runs (.ci/run)
	@for t in venv tools check-generated lint typecheck breaking openapi-validate deploy-lint test test-pythons; do \
	  start=$$(date +%s); echo "=== make $$t"; $(MAKE) $$t; echo "=== make $$t: $$(( $$(date +%s) - start ))s"; \
	done

run: venv ## Serve gRPC on :50051, HTTP/JSON on :8080, return pages on :8081, emulator on :12111
	$(RUN) python -m tools.run

migrate: venv ## Apply the ledger's schema migrations to PAYMENTS_DATABASE_URL (python -m ledger migrate)
	$(RUN) python -m ledger migrate

pay: venv ## Pay a checkout of the running make run: make pay SESSION=cs_… [OUTCOME=fail|processing]
	@$(RUN) python -m tools.pay

demo: venv ## Start the emulator and the service, run the whole payment flow, stop
	$(RUN) python -m tools.demo

# go-client builds build/go/bin/grpc_load, the gRPC load of the Stripe path's and the status benchmark's
# runs and of make profile.
bench: venv bench-tools go-client postgres-tools ## Benchmarks (PostgreSQL provided as for make test); results go to docs/benchmarks.md
	$(RUN) python bench/run_all.py

# py-spy (a dev dependency) attaches to the running service: as root here; elsewhere it needs
# ptrace rights (CAP_SYS_PTRACE, or kernel.yama.ptrace_scope=0 for one's own processes).
profile: venv go-client ## py-spy on the service under load (GetPaymentStatus, gRPC, 64 in flight) into build/profile/
	$(RUN) python bench/profile_service.py

client-wheel: venv proto-bundle ## Build the payments-api wheel (generated stubs + proto bundle) into dist/
	$(RUN) python clients/python/build_wheel.py --out dist

proto-bundle: third-party ## The contract and every .proto it imports, for any protoc, in dist/proto/
	@tools/proto_bundle.sh dist/proto

go-client: go-tools proto-bundle ## The Go client and bench/grpc_load: protoc-gen-go(-grpc) stubs from dist/proto, go build (Debian's Go)
	@tools/go_client.sh dist/proto build/go

java-client: go-java-tools proto-bundle ## The Java client: protoc + protoc-gen-grpc-java from dist/proto, javac (Debian's jars)
	@tools/java_client.sh dist/proto build/java

ts-client: node proto-bundle ## The TypeScript client: npm ci, protoc-gen-es stubs from dist/proto, tsc
	@tools/ts_client.sh dist/proto

# A caller's view for tests/docs/test_client_wheel.py: a fresh venv holding only the payments-api
# wheel and what it declares, pinned to uv.lock's versions and resolved from the registry here, as
# `make venv` does, so that the tests themselves stay on loopback.
CLIENT_VENV := build/client-venv
client-venv: venv proto-bundle ## A venv with only the payments-api wheel and its declared dependencies
	rm -rf $(CLIENT_VENV) build/client-dist
	$(RUN) python clients/python/build_wheel.py --out build/client-dist >/dev/null
	$(UV) export --frozen --no-dev --no-hashes --no-emit-project --quiet \
	  --output-file build/client-constraints.txt
	$(UV) venv --quiet --python .venv/bin/python $(CLIENT_VENV)
	$(UV) pip install --quiet --python $(CLIENT_VENV)/bin/python \
	  --constraint build/client-constraints.txt build/client-dist/payments_api-*.whl

clean: ## Remove build outputs and caches (keeps .venv)
	rm -rf build dist .mypy_cache .ruff_cache .pytest_cache clients/typescript/src/gen \
	  clients/typescript/dist
	find . -path ./.venv -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

FORCE:

distclean: clean ## Also remove .venv and the npm packages
	rm -rf .venv clients/typescript/node_modules tests/browser/node_modules
