"""The relying party on its own, against the real test provider: the per-provider switches."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.auth.signin import query_of
from tests.oidc.provider import TestProvider
from visio.auth.oidc import OidcClient, OidcError
from visio.auth.providers import OidcProviderConfig


def _config(provider: TestProvider, **overrides: object) -> OidcProviderConfig:
    return OidcProviderConfig.model_validate(json.loads(provider.settings_json(**overrides))[0])


async def test_auth_oidc_client_pkce_switch_off_sends_no_challenge(provider: TestProvider) -> None:
    """With pkce false (a provider that refuses PKCE), no code_challenge is sent."""
    async with httpx.AsyncClient() as http:
        client = OidcClient(_config(provider, pkce=False), http)
        request = await client.authorization_request("http://127.0.0.1:1/cb")
    assert request.code_verifier is None
    assert "code_challenge" not in query_of(request.url)


async def test_auth_oidc_client_acr_values_are_configurable(provider: TestProvider) -> None:
    """acr_values follows the setting, and can be left out."""
    async with httpx.AsyncClient() as http:
        stronger = OidcClient(_config(provider, acr_values="eidas2"), http)
        without = OidcClient(_config(provider, acr_values=None), http)
        assert (
            query_of((await stronger.authorization_request("http://x/cb")).url)["acr_values"]
            == "eidas2"
        )
        assert "acr_values" not in query_of(
            (await without.authorization_request("http://x/cb")).url
        )


async def test_auth_oidc_client_refuses_an_issuer_that_discovery_contradicts(
    provider: TestProvider,
) -> None:
    """Reached as localhost, the provider's document names 127.0.0.1: a misconfiguration."""
    async with httpx.AsyncClient() as http:
        other_name = provider.issuer.replace("127.0.0.1", "localhost")
        client = OidcClient(_config(provider, issuer=other_name), http)
        with pytest.raises(OidcError) as refused:
            await client.metadata()
    assert refused.value.code == "provider_misconfigured"
    assert "127.0.0.1" in refused.value.message
