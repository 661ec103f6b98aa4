"""The OpenID Connect relying party for one provider, the way ProConnect expects it.

Discovery gives the endpoints; the authorization-code flow carries ``state`` and ``nonce`` (48
characters) and PKCE (S256) when the provider's switch is on; the code is exchanged with the
client secret in the POST body (Authlib's OAuth 2 and PKCE helpers, over the server's httpx
client); the ID token's signature is checked against the provider's JWKS (fetched again when an
unknown ``kid`` shows up, so key rotation just works), and so are its issuer, audience, expiry
and nonce (joserfc's claims registry); userinfo is accepted as JSON or as a signed JWT and
refused when its ``sub`` is not the ID token's.
"""

from __future__ import annotations

import asyncio
import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
from authlib.common.security import generate_token
from authlib.oauth2.auth import ClientAuth
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri, prepare_token_request
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jws, jwt
from joserfc.errors import (
    BadSignatureError,
    ClaimError,
    ExpiredTokenError,
    JoseError,
    MissingClaimError,
)
from joserfc.jwk import Key, KeySet
from pydantic import BaseModel, ConfigDict, ValidationError

from visio.auth.providers import OidcProviderConfig

TOKEN_LENGTH = 48  # state, nonce and PKCE verifier: ProConnect wants at least 32 characters
CLOCK_LEEWAY_S = 60
DISCOVERY_TTL_S = 3600.0
UNKNOWN_KID_MEMORY_S = 300.0
_CLAIMS_IN_ORDER = ("iss", "aud", "exp", "iat", "sub", "nonce", "acr")
"""When several claims are refused at once, the reason given is the first of these."""


class OidcError(Exception):
    """A sign-in refused: ``code`` is stable (for audit and the UI), ``message`` is for people.

    Messages never contain tokens, codes or secrets.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class ProviderMetadata(BaseModel):
    """The parts of the provider's discovery document Visio uses."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str | None = None
    end_session_endpoint: str | None = None


@dataclass(frozen=True)
class AuthorizationRequest:
    """Where to send the browser, and what the callback must find again."""

    url: str
    state: str
    nonce: str
    code_verifier: str | None


@dataclass(frozen=True)
class Identity:
    """A verified sign-in: the ID token's subject and claims merged with userinfo's."""

    subject: str
    claims: dict[str, Any]
    id_token: str


class OidcClient:
    """Relying party for one configured provider. No I/O until a sign-in needs it."""

    def __init__(
        self,
        config: OidcProviderConfig,
        http: httpx.AsyncClient,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self._http = http
        self._clock = clock
        self._metadata: ProviderMetadata | None = None
        self._metadata_at = 0.0
        self._keys: KeySet | None = None
        self._unknown_kids: dict[str, float] = {}
        self._lock = asyncio.Lock()

    # -- discovery and keys ------------------------------------------------------------------

    async def metadata(self) -> ProviderMetadata:
        """The discovery document, fetched once an hour."""
        now = self._clock()
        if self._metadata is not None and now - self._metadata_at < DISCOVERY_TTL_S:
            return self._metadata
        url = f"{self.config.issuer_url}/.well-known/openid-configuration"
        document = await self._get_json(url, "discovery document")
        try:
            metadata = ProviderMetadata.model_validate(document)
        except ValidationError as exc:
            missing = ", ".join(str(e["loc"][0]) for e in exc.errors())
            raise OidcError(
                "provider_misconfigured",
                f"{self.config.display_name}'s discovery document lacks {missing}",
            ) from None
        if metadata.issuer.rstrip("/") != self.config.issuer_url:
            raise OidcError(
                "provider_misconfigured",
                f"{self.config.display_name}'s discovery document names issuer "
                f"{metadata.issuer}, not the configured {self.config.issuer_url}",
            )
        self._metadata, self._metadata_at = metadata, now
        return metadata

    async def _get_json(self, url: str, what: str) -> Any:
        try:
            response = await self._http.get(url, headers={"accept": "application/json"})
            response.raise_for_status()
            return response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise OidcError(
                "provider_unreachable",
                f"could not read {self.config.display_name}'s {what} ({type(exc).__name__})",
            ) from None

    async def _fetch_keys(self) -> KeySet:
        metadata = await self.metadata()
        document = await self._get_json(metadata.jwks_uri, "signing keys")
        try:
            keys = KeySet.import_key_set(document)
        except (JoseError, ValueError, TypeError, KeyError):
            raise OidcError(
                "provider_misconfigured", f"{self.config.display_name}'s JWKS cannot be read"
            ) from None
        self._keys = keys
        return keys

    async def _signing_key(self, kid: str | None) -> Key:
        """The provider's key with this ``kid``; an unknown one makes Visio refetch the JWKS."""
        async with self._lock:
            keys = self._keys or await self._fetch_keys()
            try:
                return keys.get_by_kid(kid)
            except JoseError:
                pass
            now = self._clock()
            self._unknown_kids = {
                k: at for k, at in self._unknown_kids.items() if now - at < UNKNOWN_KID_MEMORY_S
            }
            if kid is not None and kid not in self._unknown_kids:
                keys = await self._fetch_keys()  # the provider may have rotated its keys
                try:
                    return keys.get_by_kid(kid)
                except JoseError:
                    self._unknown_kids[kid] = now
        raise OidcError(
            "unknown_signing_key",
            f"the token is signed with a key {self.config.display_name} does not publish",
        )

    async def verify_jwt(self, token: str, what: str) -> dict[str, Any]:
        """Check a JWT's signature against the provider's keys; return its claims."""
        try:
            header = jws.extract_compact(token.encode()).protected
        except (JoseError, ValueError):
            raise OidcError("malformed_token", f"the {what} is not a signed JWT") from None
        algorithm = header.get("alg")
        if algorithm not in self.config.signing_algorithms:
            raise OidcError(
                "invalid_signature",
                f"the {what} is signed with {algorithm!r}, which is not accepted",
            )
        key = await self._signing_key(header.get("kid"))
        try:
            claims = jwt.decode(token, key, algorithms=[algorithm]).claims
        except BadSignatureError:
            raise OidcError(
                "invalid_signature",
                f"the {what}'s signature does not match {self.config.display_name}'s key",
            ) from None
        except (JoseError, ValueError):
            raise OidcError("malformed_token", f"the {what} cannot be read") from None
        return dict(claims)

    # -- the flow ----------------------------------------------------------------------------

    async def authorization_request(self, redirect_uri: str) -> AuthorizationRequest:
        """A fresh authorization URL with its state, nonce and PKCE verifier."""
        metadata = await self.metadata()
        state, nonce = generate_token(TOKEN_LENGTH), generate_token(TOKEN_LENGTH)
        verifier = generate_token(TOKEN_LENGTH) if self.config.pkce else None
        extra: dict[str, str] = {"nonce": nonce}
        if verifier is not None:
            extra |= {
                "code_challenge": create_s256_code_challenge(verifier),
                "code_challenge_method": "S256",
            }
        if self.config.acr_values:
            extra["acr_values"] = self.config.acr_values
        url = prepare_grant_uri(
            metadata.authorization_endpoint,
            client_id=self.config.client_id,
            response_type="code",
            redirect_uri=redirect_uri,
            scope=" ".join(self.config.scopes),
            state=state,
            **extra,
        )
        return AuthorizationRequest(str(url), state, nonce, verifier)

    async def complete(
        self, *, code: str, redirect_uri: str, nonce: str, code_verifier: str | None
    ) -> Identity:
        """Exchange the code, verify the ID token and userinfo; OidcError if anything is off."""
        metadata = await self.metadata()
        token = await self._exchange_code(metadata, code, redirect_uri, code_verifier)
        id_token = token.get("id_token")
        if not isinstance(id_token, str):
            raise OidcError("missing_id_token", f"{self.config.display_name} sent no ID token")
        claims = await self.verify_jwt(id_token, "ID token")
        self._check_id_token_claims(claims, metadata, nonce)
        subject = str(claims["sub"])
        merged = dict(claims)
        access_token = token.get("access_token")
        if metadata.userinfo_endpoint and isinstance(access_token, str):
            merged |= await self._userinfo(metadata, access_token, subject)
        return Identity(subject, merged, id_token)

    async def _exchange_code(
        self, metadata: ProviderMetadata, code: str, redirect_uri: str, verifier: str | None
    ) -> dict[str, Any]:
        """The token request, with the client secret in the POST body (client_secret_post)."""
        extra = {"code_verifier": verifier} if verifier else {}
        body = prepare_token_request(
            "authorization_code", code=code, redirect_uri=redirect_uri, **extra
        )
        client_auth = ClientAuth(
            self.config.client_id,
            self.config.client_secret.get_secret_value(),
            "client_secret_post",
        )
        url, headers, body = client_auth.prepare(
            "POST",
            metadata.token_endpoint,
            {"content-type": "application/x-www-form-urlencoded", "accept": "application/json"},
            body,
        )
        name = self.config.display_name
        try:
            response = await self._http.post(url, headers=headers, content=body)
            token = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise OidcError(
                "provider_unreachable",
                f"could not reach {name}'s token endpoint ({type(exc).__name__})",
            ) from None
        if response.status_code != 200 or not isinstance(token, dict) or "error" in token:
            error = token.get("error") if isinstance(token, dict) else None
            reason = str(error or response.status_code)[:64]
            raise OidcError(
                "token_request_refused", f"{name} refused to complete the sign-in ({reason})"
            )
        return token

    def _check_id_token_claims(
        self, claims: dict[str, Any], metadata: ProviderMetadata, nonce: str
    ) -> None:
        """OpenID Connect Core 3.1.3.7, with joserfc's claims registry; each refusal keeps the
        stable reason the audit trail and the UI know."""
        required: dict[str, jwt.ClaimsOption] = {
            "iss": {"essential": True, "value": metadata.issuer},
            "aud": {"essential": True, "value": self.config.client_id},
            "exp": {"essential": True},
            "iat": {"essential": True},
            "sub": {"essential": True},
            "nonce": {"essential": True, "value": nonce},
        }
        if self.config.acr_values and claims.get("acr") is not None:  # when the token states one
            required["acr"] = {"values": self.config.acr_values.split()}
        registry = jwt.JWTClaimsRegistry(
            now=lambda: int(self._clock()), leeway=CLOCK_LEEWAY_S, **required
        )
        try:
            registry.validate(claims)
        except ClaimError as exc:
            raise self._claim_refusal(exc, claims) from None
        audience = claims["aud"]
        if (
            isinstance(audience, list)
            and len(audience) > 1
            and claims.get("azp") != (self.config.client_id)
        ):
            raise OidcError("wrong_audience", "the ID token was issued for another application")

    def _claim_refusal(self, error: ClaimError, claims: dict[str, Any]) -> OidcError:
        """The sign-in refusal for the first claim the registry refused."""
        name = self.config.display_name
        refused = error.claim.split(",")
        claim = next((c for c in _CLAIMS_IN_ORDER if c in refused), refused[0])
        if claim == "exp" or isinstance(error, ExpiredTokenError):
            return OidcError("token_expired", "the ID token has expired; please sign in again")
        if claim == "nonce":
            if isinstance(error, MissingClaimError) or not claims.get("nonce"):
                return OidcError("nonce_missing", "the ID token carries no nonce")
            return OidcError(
                "nonce_mismatch", "the ID token belongs to another sign-in (nonce mismatch)"
            )
        refusals = {
            "iss": OidcError("wrong_issuer", f"the ID token was not issued by {name}"),
            "aud": OidcError("wrong_audience", "the ID token was issued for another application"),
            "iat": OidcError("token_not_yet_valid", "the ID token is dated in the future"),
            "acr": OidcError(
                "acr_not_satisfied",
                f"{name} signed you in at level {str(claims.get('acr'))[:32]}, below the "
                f"required {self.config.acr_values}",
            ),
        }
        return refusals.get(
            claim, OidcError("malformed_token", f"the ID token's {claim[:32]} claim is not valid")
        )

    async def _userinfo(
        self, metadata: ProviderMetadata, access_token: str, subject: str
    ) -> dict[str, Any]:
        assert metadata.userinfo_endpoint is not None
        try:
            response = await self._http.get(
                metadata.userinfo_endpoint,
                headers={
                    "authorization": f"Bearer {access_token}",
                    "accept": "application/jwt, application/json",
                },
            )
            response.raise_for_status()
        except httpx.HTTPError as exc:
            raise OidcError(
                "userinfo_unavailable",
                f"could not read your profile from {self.config.display_name} "
                f"({type(exc).__name__})",
            ) from None
        content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type == "application/jwt":
            claims = await self.verify_jwt(response.text.strip(), "userinfo")
            if "iss" in claims and claims["iss"] != metadata.issuer:
                raise OidcError(
                    "wrong_issuer", f"the userinfo was not issued by {self.config.display_name}"
                )
            audience = claims.get("aud", self.config.client_id)
            if self.config.client_id not in (
                audience if isinstance(audience, list) else [audience]
            ):
                raise OidcError("wrong_audience", "the userinfo was issued for another application")
        else:
            try:
                claims = response.json()
            except ValueError:
                raise OidcError(
                    "invalid_userinfo", "the userinfo is neither JSON nor a JWT"
                ) from None
            if not isinstance(claims, dict):
                raise OidcError("invalid_userinfo", "the userinfo is not a JSON object")
        if not isinstance(claims.get("sub"), str) or not hmac.compare_digest(
            claims["sub"].encode(), subject.encode()
        ):
            raise OidcError(
                "userinfo_sub_mismatch", "the profile sent by the provider is about someone else"
            )
        return {k: v for k, v in claims.items() if k not in {"iss", "aud", "iat", "exp", "nbf"}}

    async def end_session_url(
        self, *, id_token_hint: str, state: str, post_logout_redirect_uri: str
    ) -> str | None:
        """Where to send the browser to sign out at the provider too (None: it has no logout)."""
        metadata = await self.metadata()
        if metadata.end_session_endpoint is None:
            return None
        query = urlencode(
            {
                "id_token_hint": id_token_hint,
                "state": state,
                "post_logout_redirect_uri": post_logout_redirect_uri,
            }
        )
        separator = "&" if "?" in metadata.end_session_endpoint else "?"
        return f"{metadata.end_session_endpoint}{separator}{query}"
