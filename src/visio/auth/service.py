"""Signing in and out: the steps between the browser, the provider and Visio's sessions.

Every outcome, good or bad, lands in the audit trail.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from visio.audit import AuditTrail, Origin
from visio.auth.oidc import OidcClient, OidcError
from visio.auth.providers import OidcProviderConfig
from visio.auth.sessions import Session, SessionStore
from visio.auth.users import User, UserRepository
from visio.hashing import secret_digest
from visio.settings import Settings
from visio.storage.models import LoginRequestRecord, utcnow

logger = logging.getLogger(__name__)

LOGIN_REQUEST_LIFETIME = timedelta(minutes=10)


def safe_return_path(candidate: str | None) -> str:
    """Only a path on this site: never an absolute URL (no open redirect)."""
    if (
        not candidate
        or not candidate.startswith("/")
        or candidate.startswith("//")
        or "\\" in candidate
        or any(ord(c) < 32 for c in candidate)
        or len(candidate) > 2000
    ):
        return "/"
    return candidate


@dataclass(frozen=True)
class SignedIn:
    session_token: str
    session: Session
    return_to: str


class AuthService:
    """Begins and completes sign-ins, ends sessions, and audits each."""

    def __init__(
        self,
        settings: Settings,
        clients: dict[str, OidcClient],
        users: UserRepository,
        sessions: SessionStore,
        audit: AuditTrail,
        database: async_sessionmaker[AsyncSession],
    ) -> None:
        self._settings = settings
        self._clients = clients
        self._users = users
        self._sessions = sessions
        self._audit = audit
        self._database = database

    @property
    def providers(self) -> list[OidcProviderConfig]:
        return list(self._settings.oidc_providers)

    def client(self, provider_id: str) -> OidcClient | None:
        return self._clients.get(provider_id)

    def is_admin(self, user: User) -> bool:
        """Administrators are listed in VISIO_ADMINS by e-mail or as provider:sub."""
        admins = {entry.lower() for entry in self._settings.admins}
        return (user.email or "").lower() in admins or (
            f"{user.provider}:{user.subject}".lower() in admins
        )

    async def begin_login(
        self, provider_id: str, redirect_uri: str, return_to: str | None, browser_token: str
    ) -> str:
        """Remember a new sign-in and return the provider URL to send the browser to."""
        client = self._require_client(provider_id)
        request = await client.authorization_request(redirect_uri)
        async with self._database() as session, session.begin():
            await session.execute(
                delete(LoginRequestRecord).where(LoginRequestRecord.expires_at <= utcnow())
            )
            session.add(
                LoginRequestRecord(
                    state_hash=secret_digest(request.state),
                    browser_hash=secret_digest(browser_token),
                    provider=provider_id,
                    nonce=request.nonce,
                    code_verifier=request.code_verifier,
                    return_to=safe_return_path(return_to),
                    expires_at=utcnow() + LOGIN_REQUEST_LIFETIME,
                )
            )
        return request.url

    async def complete_login(
        self,
        provider_id: str,
        *,
        code: str | None,
        state: str | None,
        error: str | None,
        issuer: str | None,
        browser_token: str | None,
        redirect_uri: str,
        origin: Origin,
    ) -> SignedIn:
        """Check the callback against its sign-in, verify the tokens, open a session.

        Raises OidcError (already audited) when anything does not hold.
        """
        try:
            client = self._require_client(provider_id)
            pending = await self._take_login_request(provider_id, state, browser_token)
            if error:
                raise OidcError(
                    "provider_error",
                    f"{client.config.display_name} did not sign you in ({error[:64]})",
                )
            if not code:
                raise OidcError("missing_code", "the provider sent no authorization code")
            metadata = await client.metadata()
            if issuer is not None and issuer != metadata.issuer:  # RFC 9207 mix-up defence
                raise OidcError("wrong_issuer", "the answer comes from another provider")
            identity = await client.complete(
                code=code,
                redirect_uri=redirect_uri,
                nonce=pending.nonce,
                code_verifier=pending.code_verifier,
            )
        except OidcError as exc:
            await self._audit.record_refusal(
                "auth.login",
                origin,
                provider=provider_id,
                details={"reason": exc.code, "message": exc.message},
            )
            logger.warning("sign-in through %s refused: %s", provider_id, exc.code)
            raise
        user = await self._users.sign_in(provider_id, identity.subject, identity.claims)
        lifetime = timedelta(hours=self._settings.session_lifetime_hours)
        token, session = await self._sessions.create(
            user, provider_id, identity.id_token, lifetime, origin
        )
        await self._audit.record(
            "auth.login",
            "success",
            origin,
            actor_user_id=user.id,
            actor=user.audit_label,
            provider=provider_id,
            details={"sub": user.subject, "acr": identity.claims.get("acr"), "idp_id": user.idp_id},
        )
        return SignedIn(token, session, pending.return_to)

    async def _take_login_request(
        self, provider_id: str, state: str | None, browser_token: str | None
    ) -> LoginRequestRecord:
        """The sign-in this state belongs to, used up so it cannot be replayed."""
        if not state:
            raise OidcError("missing_state", "the answer from the provider carries no state")
        async with self._database() as session, session.begin():
            pending = await session.scalar(
                select(LoginRequestRecord).where(
                    LoginRequestRecord.state_hash == secret_digest(state)
                )
            )
            if pending is not None:
                await session.delete(pending)
        if pending is None or pending.provider != provider_id:
            raise OidcError(
                "unknown_state",
                "this sign-in link is unknown, already used or expired; please sign in again",
            )
        expires_at = pending.expires_at
        if expires_at.tzinfo is None:
            expires_at = expires_at.replace(tzinfo=utcnow().tzinfo)
        if expires_at <= utcnow():
            raise OidcError("unknown_state", "this sign-in took too long; please sign in again")
        if browser_token is None or not hmac.compare_digest(
            pending.browser_hash, secret_digest(browser_token)
        ):
            raise OidcError(
                "browser_mismatch", "this sign-in was started in another browser; please retry"
            )
        return pending

    async def logout(
        self, session_token: str, session: Session, post_logout_redirect_uri: str, origin: Origin
    ) -> tuple[str, str | None]:
        """End the session here; return (state, the provider's sign-out URL or None)."""
        await self._sessions.delete(session_token)
        await self._audit.record(
            "auth.logout",
            "success",
            origin,
            actor_user_id=session.user.id,
            actor=session.user.audit_label,
            provider=session.provider,
        )
        state = secrets.token_urlsafe(32)
        client = self._clients.get(session.provider)
        if client is None:
            return state, None
        try:
            url = await client.end_session_url(
                id_token_hint=session.id_token,
                state=state,
                post_logout_redirect_uri=post_logout_redirect_uri,
            )
        except OidcError as exc:
            logger.warning("no sign-out at %s: %s", session.provider, exc.code)
            return state, None
        return state, url

    def _require_client(self, provider_id: str) -> OidcClient:
        client = self._clients.get(provider_id)
        if client is None:
            raise OidcError("unknown_provider", f"there is no identity provider {provider_id!r}")
        return client
