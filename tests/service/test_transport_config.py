"""Transport settings checked at start-up: TLS files that work together, and plaintext only on
loopback unless explicitly allowed (behind a sidecar that encrypts)."""

from __future__ import annotations

from pathlib import Path

import pytest
import trustme

from service.config import ConfigError, load_settings

BASE = {"PAYMENTS_API_KEYS": "k" * 20, "STRIPE_SECRET_KEY": "sk_test_abc123"}


@pytest.fixture
def files(tmp_path: Path) -> dict[str, str]:
    ca = trustme.CA()
    issued = ca.issue_cert("payments.internal")
    paths = {name: tmp_path / name for name in ("cert.pem", "key.pem", "ca.pem")}
    issued.cert_chain_pems[0].write_to_path(str(paths["cert.pem"]))
    issued.private_key_pem.write_to_path(str(paths["key.pem"]))
    ca.cert_pem.write_to_path(str(paths["ca.pem"]))
    return {name: str(path) for name, path in paths.items()}


@pytest.mark.parametrize("variable", ["PAYMENTS_LISTEN_ADDR", "PAYMENTS_HTTP_ADDR"])
def test_plaintext_off_loopback_is_refused_unless_allowed(variable: str) -> None:
    environ = {**BASE, variable: "0.0.0.0:8080"}
    with pytest.raises(ConfigError, match=f"{variable} .* is not a loopback address"):
        load_settings(environ)
    assert load_settings({**environ, "PAYMENTS_ALLOW_PLAINTEXT": "true"}).allow_plaintext
    for loopback in ("127.0.0.1:0", "[::1]:0", "localhost:0"):
        load_settings({**BASE, variable: loopback})


def test_tls_files_are_checked_at_start_up(files: dict[str, str]) -> None:
    tls = {"PAYMENTS_TLS_CERT_FILE": files["cert.pem"], "PAYMENTS_TLS_KEY_FILE": files["key.pem"]}
    settings = load_settings({**BASE, **tls, "PAYMENTS_LISTEN_ADDR": "0.0.0.0:50051"})
    assert settings.tls is not None
    assert "key.pem" not in repr(settings)

    with pytest.raises(ConfigError, match="go together"):
        load_settings({**BASE, "PAYMENTS_TLS_CERT_FILE": files["cert.pem"]})
    with pytest.raises(ConfigError, match="need TLS"):
        load_settings({**BASE, "PAYMENTS_TLS_CLIENT_CA_FILE": files["ca.pem"]})
    swapped = {
        "PAYMENTS_TLS_CERT_FILE": files["key.pem"],
        "PAYMENTS_TLS_KEY_FILE": files["cert.pem"],
    }
    with pytest.raises(ConfigError, match="cannot use the certificate") as refused:
        load_settings({**BASE, **swapped})
    assert "PRIVATE KEY" not in str(refused.value)
    missing = {**tls, "PAYMENTS_TLS_CLIENT_CA_FILE": files["ca.pem"] + ".absent"}
    with pytest.raises(ConfigError, match="cannot use the client CA"):
        load_settings({**BASE, **missing})
