"""How an operator describes one OpenID Connect provider (``VISIO_OIDC_PROVIDERS``)."""

from __future__ import annotations

import re

from pydantic import AnyHttpUrl, BaseModel, Field, SecretStr, field_validator

PROCONNECT_SCOPES = ["openid", "given_name", "usual_name", "email", "uid", "siret", "idp_id"]
PROVIDER_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")


class OidcProviderConfig(BaseModel):
    """One identity provider people may sign in with, e.g. ProConnect or a ministry's own."""

    model_config = {"frozen": True, "extra": "forbid"}

    id: str = Field(description="short name used in URLs: /auth/{id}/login")
    display_name: str = Field(min_length=1, max_length=80)
    logo_url: str | None = Field(default=None, max_length=2000)
    issuer: AnyHttpUrl
    client_id: str = Field(min_length=1)
    client_secret: SecretStr
    scopes: list[str] = Field(default_factory=lambda: list(PROCONNECT_SCOPES))
    acr_values: str | None = "eidas1"
    pkce: bool = True
    signing_algorithms: list[str] = Field(default_factory=lambda: ["RS256", "ES256", "PS256"])

    @field_validator("id")
    @classmethod
    def _url_safe_id(cls, value: str) -> str:
        if not PROVIDER_ID.match(value):
            raise ValueError(
                f"provider id {value!r} must be 1-32 lower-case letters, digits, - or _"
            )
        return value

    @field_validator("scopes")
    @classmethod
    def _openid_scope(cls, scopes: list[str]) -> list[str]:
        if "openid" not in scopes:
            raise ValueError("scopes must include openid")
        return scopes

    @field_validator("logo_url")
    @classmethod
    def _logo_is_a_link(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^(https?://|/)", value):
            raise ValueError("logo_url must be an http(s) URL or a path on this server")
        return value

    @field_validator("signing_algorithms")
    @classmethod
    def _no_unsigned_tokens(cls, algorithms: list[str]) -> list[str]:
        if not algorithms or any(
            alg.lower() == "none" or alg.startswith("HS") for alg in algorithms
        ):
            raise ValueError("signing_algorithms must list asymmetric algorithms (RS256, ES256...)")
        return algorithms

    @property
    def issuer_url(self) -> str:
        return str(self.issuer).rstrip("/")
