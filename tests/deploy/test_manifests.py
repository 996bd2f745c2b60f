"""deploy/ agrees with the service as it is: the variables it reads (service/config.py), its
secrets kept out of the repository, its ports, its drain, and the image's user and ports.
Kubernetes' schemas themselves are checked by `make deploy-lint`."""

from __future__ import annotations

import re

import pytest

from service.config import VARIABLES, load_settings
from tests.deploy.manifests import (
    DEPLOY,
    REPO,
    Manifests,
    dockerfile_lines,
    load_manifests,
    make_variable,
    port_of,
)

READ_BY_SERVICE = {name for name, _, _ in VARIABLES.values()}
SECRETS = {
    "PAYMENTS_API_KEYS",
    "STRIPE_SECRET_KEY",
    "PAYMENTS_DATABASE_URL",
    "STRIPE_WEBHOOK_SECRETS",
}
# Values of the right form, so that load_settings accepts the ConfigMap; not keys of anyone's.
PLACEHOLDER_SECRETS = {
    "PAYMENTS_API_KEYS": "orders=" + "k" * 32,
    "STRIPE_SECRET_KEY": "sk_test_x",
    "PAYMENTS_DATABASE_URL": "postgresql://payments:placeholder@ledger:5432/payments",
    "STRIPE_WEBHOOK_SECRETS": "whsec_placeholder",
}


@pytest.fixture(scope="module")
def manifests() -> Manifests:
    return load_manifests()


def test_every_variable_set_is_one_the_service_reads(manifests: Manifests) -> None:
    set_here = set(manifests.config) | {env["name"] for env in manifests.container["env"]}
    assert set_here <= READ_BY_SERVICE, (
        f"not read by service/config.py: {set_here - READ_BY_SERVICE}"
    )


def test_every_variable_the_service_reads_is_set_or_named_in_the_configmap(
    manifests: Manifests,
) -> None:
    set_here = set(manifests.config) | {env["name"] for env in manifests.container["env"]}
    commented = set(
        re.findall(r"^\s*# ([A-Z][A-Z0-9_]+):", (DEPLOY / "configmap.yaml").read_text(), re.M)
    )
    missing = READ_BY_SERVICE - set_here - commented
    assert not missing, f"deploy/configmap.yaml should set or mention {sorted(missing)}"


def test_the_configmap_is_a_configuration_the_service_accepts(manifests: Manifests) -> None:
    settings = load_settings({**manifests.config, **PLACEHOLDER_SECRETS})
    assert settings.http_addr is not None


def test_secrets_come_from_a_secret_and_no_secret_is_in_the_repository(
    manifests: Manifests,
) -> None:
    assert "Secret" not in manifests.by_kind
    assert not SECRETS & set(manifests.config)
    env = {entry["name"]: entry for entry in manifests.container["env"]}
    for name in SECRETS:
        assert "value" not in env[name]
        assert env[name]["valueFrom"]["secretKeyRef"]["name"] == "payments-secrets"


def test_ports_agree_from_the_settings_to_the_service_and_the_network_policy(
    manifests: Manifests,
) -> None:
    grpc_port = port_of(manifests.config["PAYMENTS_LISTEN_ADDR"])
    http_port = port_of(manifests.config["PAYMENTS_HTTP_ADDR"])
    metrics_port = port_of(manifests.config["PAYMENTS_METRICS_ADDR"])
    named = {port["name"]: port["containerPort"] for port in manifests.container["ports"]}
    assert named == {"grpc": grpc_port, "http": http_port, "metrics": metrics_port}
    for probe in ("readinessProbe", "livenessProbe"):
        assert manifests.container[probe]["grpc"]["port"] == grpc_port
    service_ports = manifests["Service"]["spec"]["ports"]
    assert {port["name"]: port["targetPort"] for port in service_ports} == {
        "grpc": "grpc",
        "http": "http",
        "metrics": "metrics",
    }
    callers, scraper = manifests["NetworkPolicy"]["spec"]["ingress"]
    assert {port["port"] for port in callers["ports"]} == {grpc_port, http_port}
    assert {port["port"] for port in scraper["ports"]} == {metrics_port}
    (expose,) = dockerfile_lines("EXPOSE ")
    assert set(expose.split()) == {str(grpc_port), str(http_port), str(metrics_port)}
    (image_env,) = dockerfile_lines("ENV PAYMENTS_LISTEN_ADDR=")
    assert port_of(image_env) == grpc_port


def test_the_grace_period_covers_the_pre_stop_sleep_and_the_drain(manifests: Manifests) -> None:
    pre_stop = manifests.container["lifecycle"]["preStop"]["sleep"]["seconds"]
    drain = float(manifests.config["PAYMENTS_GRACE_SECONDS"])
    grace = manifests.pod["terminationGracePeriodSeconds"]
    assert pre_stop >= 1, "a moment for the endpoints to drop the pod before SIGTERM"
    assert grace >= pre_stop + drain + 2, "a margin after the drain for closing the Stripe client"
    liveness = manifests.container["livenessProbe"]
    assert liveness["periodSeconds"] * liveness["failureThreshold"] > grace, (
        "a draining pod (NOT_SERVING) must not be restarted by its liveness probe"
    )


def test_the_pod_runs_as_the_images_user(manifests: Manifests) -> None:
    (user,) = dockerfile_lines("USER ")
    uid, _, gid = user.partition(":")
    security = manifests.pod["securityContext"]
    assert (str(security["runAsUser"]), str(security["runAsGroup"])) == (uid, gid)
    assert int(uid) != 0
    assert security["runAsNonRoot"] is True


def test_the_dockerfile_installs_the_makefiles_uv() -> None:
    (uv_arg,) = dockerfile_lines("ARG UV_VERSION=")
    assert uv_arg == make_variable("UV_VERSION")


def test_the_build_context_holds_what_the_dockerfile_copies() -> None:
    """.dockerignore leaves out everything but what it lists, so each COPY source must be there:
    no engine here would show a missing one."""
    let_in = {
        line.removeprefix("!").rstrip("/")
        for line in (REPO / ".dockerignore").read_text().splitlines()
        if line.startswith("!")
    }
    sources = [
        source.rstrip("/")
        for copy in dockerfile_lines("COPY ")
        for source in [word for word in copy.split() if not word.startswith("--")][:-1]
    ]
    assert len(sources) >= 6
    assert set(sources) <= let_in, f"left out of the build context: {set(sources) - let_in}"
