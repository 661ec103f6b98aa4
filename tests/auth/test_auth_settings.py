"""VISIO_OIDC_PROVIDERS and the other sign-in settings: validated with clear messages."""

from __future__ import annotations

import json

import pytest

from visio.app import security_headers
from visio.settings import SettingsError, load_settings

PROVIDER = {
    "id": "proconnect",
    "display_name": "ProConnect",
    "issuer": "https://auth.agentconnect.gouv.fr/api/v2",
    "client_id": "visio",
    "client_secret": "very-secret-value",
}


def test_auth_settings_provider_defaults_are_proconnect_s() -> None:
    """By default: ProConnect's scopes, acr eidas1, PKCE on."""
    settings = load_settings(oidc_providers=json.dumps([PROVIDER]))
    provider = settings.oidc_providers[0]
    assert provider.scopes == [
        "openid",
        "given_name",
        "usual_name",
        "email",
        "uid",
        "siret",
        "idp_id",
    ]
    assert provider.acr_values == "eidas1"
    assert provider.pkce is True
    assert "very-secret-value" not in repr(settings)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("[{", "VISIO_OIDC_PROVIDERS: Value error, must be a JSON list"),
        (json.dumps([{**PROVIDER, "id": "Pro Connect"}]), "VISIO_OIDC_PROVIDERS[0].id"),
        (json.dumps([{**PROVIDER, "scopes": ["email"]}]), "scopes must include openid"),
        (json.dumps([{**PROVIDER, "issuer": "not a url"}]), "VISIO_OIDC_PROVIDERS[0].issuer"),
        (json.dumps([PROVIDER, PROVIDER]), "provider ids must be unique: proconnect"),
        (
            json.dumps([{**PROVIDER, "signing_algorithms": ["HS256"]}]),
            "asymmetric algorithms",
        ),
        (json.dumps([{k: v for k, v in PROVIDER.items() if k != "client_id"}]), "client_id"),
    ],
)
def test_auth_settings_bad_providers_are_explained(value: str, expected: str) -> None:
    """Each mistake names the variable and the field, and never echoes the secret."""
    with pytest.raises(SettingsError) as caught:
        load_settings(oidc_providers=value)
    assert expected in str(caught.value)
    assert "very-secret-value" not in str(caught.value)


def test_auth_settings_admins_and_lifetimes() -> None:
    """Admins are a comma-separated list; lifetimes and retention are bounded numbers."""
    settings = load_settings(admins=" rssi@x.gouv.fr , proconnect:abc ")
    assert settings.admins == ["rssi@x.gouv.fr", "proconnect:abc"]
    with pytest.raises(SettingsError, match="VISIO_SESSION_LIFETIME_HOURS"):
        load_settings(session_lifetime_hours="0")
    with pytest.raises(SettingsError, match="VISIO_AUDIT_RETENTION_DAYS"):
        load_settings(audit_retention_days="0")


def test_auth_settings_cookies_are_secure_behind_https() -> None:
    """Secure cookies whenever the public URL is https."""
    assert load_settings(public_url="https://visio.example.gouv.fr").secure_cookies
    assert not load_settings(public_url="http://localhost:8000").secure_cookies


def test_auth_settings_provider_logos_are_allowed_by_the_csp() -> None:
    """An https logo's origin is added to img-src, and nothing else is loosened."""
    logo = {**PROVIDER, "logo_url": "https://cdn.example.gouv.fr/img/proconnect.svg"}
    headers = dict(security_headers(load_settings(oidc_providers=json.dumps([logo]))))
    policy = headers[b"content-security-policy"].decode()
    assert "img-src 'self' data: blob: https://cdn.example.gouv.fr;" in policy
    assert "script-src 'self' 'wasm-unsafe-eval';" in policy
