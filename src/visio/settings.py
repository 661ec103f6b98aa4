"""Visio's settings: environment variables prefixed ``VISIO_`` (or a ``.env`` file).

Every setting is validated at start-up; a bad value stops the server with a message that names
the variable and says what is expected.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import re
import socket
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AnyHttpUrl,
    BaseModel,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from visio.auth.providers import OidcProviderConfig
from visio.embed.origins import embedding_origin
from visio.turn.urls import parse_turn_url

_PORT_RANGE = re.compile(r"^(\d{1,5})-(\d{1,5})$")
_INTERFACE_ITEM = re.compile(r"^[A-Za-z0-9_.:\-]{1,64}$")
_NODE_ID = re.compile(r"^[A-Za-z0-9_.:\-]{1,64}$")


class IceServer(BaseModel):
    """One STUN or TURN server handed to browsers (the fields of ``RTCIceServer``)."""

    urls: list[str] = Field(min_length=1)
    username: str | None = None
    credential: str | None = None

    @field_validator("urls")
    @classmethod
    def _urls_are_stun_or_turn(cls, urls: list[str]) -> list[str]:
        for url in urls:
            if not re.match(r"^(stun|stuns|turn|turns):", url):
                raise ValueError(f"{url!r} is not a stun:, stuns:, turn: or turns: URL")
        return urls


class Settings(BaseSettings):
    """All of Visio's configuration. See the README's configuration reference."""

    model_config = SettingsConfigDict(
        env_prefix="VISIO_", env_file=".env", extra="ignore", frozen=True
    )

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    public_url: AnyHttpUrl | None = None
    data_dir: Path = Path("var")
    database_url: str | None = None
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    janus_mode: Literal["embedded", "external"] = "embedded"
    janus_url: str | None = None
    janus_urls: Annotated[list[str], NoDecode] = Field(default_factory=list)
    """External mode: several Janus instances (comma-separated ws:// or wss:// URLs), each on its
    own machine; rooms are placed on the least-loaded (``visio.media.pool``)."""
    janus_api_secret: str | None = None
    janus_videoroom_admin_key: str | None = None
    janus_binary: Path = Path("/usr/bin/janus")
    janus_plugins_dir: Path = Path("/usr/lib/x86_64-linux-gnu/janus/plugins")
    janus_transports_dir: Path = Path("/usr/lib/x86_64-linux-gnu/janus/transports")
    janus_ws_port: int = Field(default=8188, ge=1, le=65535)
    janus_admin_port: int = Field(default=7188, ge=1, le=65535)
    janus_ice_interfaces: Annotated[list[str], NoDecode] = Field(default_factory=list)
    janus_ice_ignore: Annotated[list[str], NoDecode] = Field(default_factory=lambda: ["vmnet"])
    janus_nat_1_1_mapping: str | None = None
    janus_rtp_port_range: str = "20000-40000"
    janus_stun_server: str | None = None
    janus_debug_level: int = Field(default=3, ge=0, le=7)

    ice_servers: Annotated[list[IceServer], NoDecode] = Field(default_factory=list)

    speech_worker_secret: SecretStr | None = None
    speech_embedded_workers: int = Field(default=1, ge=0, le=16)
    speech_worker_capacity: int = Field(default=8, ge=1, le=64)
    speech_srtp: bool = True

    metrics_token: SecretStr | None = None
    frame_ancestors: Annotated[list[str], NoDecode] = Field(default_factory=list)
    """Origins allowed to embed Visio in a frame and drive it over ``postMessage`` (an intranet
    portal): ``https://host[:port]``, or ``http://`` on a loopback host for development; none by
    default. See docs/embedding.md."""

    rate_limit_sign_in_per_minute: int = Field(default=20, ge=1, le=100_000)
    rate_limit_room_creation_per_minute: int = Field(default=20, ge=1, le=100_000)
    rate_limit_joins_per_minute: int = Field(default=60, ge=1, le=100_000)
    rate_limit_refusals_audited_per_minute: int = Field(default=30, ge=1, le=100_000)
    """Refused requests (bad API tokens, failed sign-ins) recorded per client address per
    minute; the rest are refused all the same, without a record."""
    rate_limit_connection_tests_per_minute: int = Field(default=30, ge=1, le=100_000)
    """Pre-join connection tests one client address may start per minute (each mints a TURN
    credential of its own); a whole office behind one address shares it."""

    http_max_body_bytes: int = Field(default=1024 * 1024, ge=1024, le=1024 * 1024 * 1024)
    """Largest HTTP request body accepted, on every route (larger: 413 before it is read)."""
    http_header_timeout_seconds: float = Field(default=10.0, gt=0, le=600)
    """How long a client may take to send a request's headers before the connection closes."""
    http_max_connections_per_client: int = Field(default=256, ge=1, le=1_000_000)
    """Open connections (HTTP and WebSocket) one client address may hold at once."""

    room_max_participants: int = Field(default=100, ge=2, le=1000)
    room_muted_above: int = Field(default=10, ge=0, le=1000)
    """People who join a meeting of more than this many participants arrive muted."""
    subscriber_video_budget_kbps: int = Field(default=2700, ge=100, le=1_000_000)
    """The most camera video one participant may ask to receive (``subscription.set``), in
    nominal kbit/s of the layers asked for (high 900, medium 300, low 100): a request that would
    raise the total above it is refused. The web app stays under 1800 (six medium tiles); this
    stops a hostile client from pulling every camera of a large meeting at full size."""
    room_creation: str = "everyone"
    """Who may create rooms: ``everyone``, ``signed_in``, ``admins`` (VISIO_ADMINS), or
    ``groups:<name>[,<name>]`` (members of those directory groups, and the administrators)."""
    protocol_max_message_bytes: int = Field(default=65536, ge=1024, le=4 * 1024 * 1024)
    protocol_rate_per_second: float = Field(default=20.0, gt=0, le=10000)
    protocol_rate_burst: int = Field(default=60, ge=1, le=100000)
    protocol_join_timeout_seconds: float = Field(default=10.0, gt=0, le=3600)
    """A room socket that has not sent ``join`` by then is closed (idle sockets cost memory)."""
    protocol_max_sockets_per_address: int = Field(default=200, ge=1, le=100_000)
    """Room sockets one client address may hold open at once (a NAT hides many people)."""

    oidc_providers: Annotated[list[OidcProviderConfig], NoDecode] = Field(default_factory=list)
    session_lifetime_hours: float = Field(default=12.0, gt=0, le=24 * 90)
    admins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    audit_retention_days: int = Field(default=365, ge=1, le=36500)

    ldap_url: str | None = None
    """The directory to sync groups from (ldap:// or ldaps://); none by default."""
    ldap_bind_dn: str | None = None
    ldap_bind_password: SecretStr | None = None
    ldap_users_base: str | None = None
    ldap_groups_base: str | None = None
    ldap_users_filter: str = "(|(objectClass=inetOrgPerson)(objectClass=posixAccount))"
    ldap_groups_filter: str = "(|(objectClass=groupOfNames)(objectClass=posixGroup))"
    ldap_user_attribute: Literal["mail", "uid"] = "mail"
    """Which attribute of a directory entry matches a signed-in person's claim of that name."""
    ldap_sync_interval_minutes: float = Field(default=15.0, gt=0, le=7 * 24 * 60)

    speaker_detection: bool = True
    """Janus tells who is speaking (VideoRoom ``audiolevel_event``); off: nobody is ever shown
    as speaking."""
    speaker_detection_packets: int = Field(default=5, ge=5, le=500)
    """Audio packets (20 ms each) Janus averages before it decides whether someone speaks
    (``audio_active_packets``): 5 is 0.1 s, so a new speaker is announced (and heard, in a large
    meeting) 0.1 to 0.2 s after they start; ``speaker_hold_seconds`` keeps pauses from ending
    their turn."""
    speaker_confirm_seconds: float = Field(default=0.3, ge=0, le=5)
    """How long Janus must hear someone before it counts as their turn (``speaking: true``, the
    highlight, the speaker layout): a cough or a door shorter than this moves nothing. Their audio
    is relayed from Janus's first word on all the same. 0: a turn starts with Janus's first word."""
    speaker_hold_seconds: float = Field(default=1.0, ge=0, le=10)
    """How long someone stays speaking after Janus stops hearing them: a pause between words
    shorter than this does not end their turn (no ``speaking: false``, their audio stays
    relayed in a large meeting). 0: their turn ends with Janus's first silent window."""
    speaker_detection_level: int = Field(default=40, ge=1, le=127)
    """The average level, in -dBov (0 loudest, 127 silence), under which Janus hears speech
    (``audio_level_average``)."""
    audio_selection_above: int = Field(default=6, ge=0, le=1000)
    """In a meeting with more than this many microphones on, each participant receives audio
    only from the recent speakers (and anyone speaking now), not from everyone; needs
    ``speaker_detection``."""
    audio_selection_speakers: int = Field(default=4, ge=1, le=32)
    """How many of the most recent speakers everyone keeps hearing in such a meeting."""
    chat_retention_days: int = Field(default=30, ge=1, le=36500)
    """How long the chat of rooms that keep it (``keep_chat``) is stored; older messages are
    purged once an hour."""
    chat_rate_per_second: float = Field(default=1.0, gt=0, le=1000)
    chat_rate_burst: int = Field(default=5, ge=1, le=1000)
    """Chat messages one participant may send at once, refilled at ``chat_rate_per_second``
    (on top of the socket's own limit): 5 in a burst, then one a second, by default."""
    recordings_dir: Path | None = None
    """Where meeting recordings are written (Janus's raw ``.mjr`` files and the processed
    file, one folder per recording); default: ``recordings`` in the data directory. With an
    external Janus, both must see this folder at the same path."""
    recording_retention_days: int = Field(default=30, ge=1, le=36500)
    """How long recordings are kept; older ones (files and rows) are deleted once an hour."""
    recording_ffmpeg_threads: int = Field(default=1, ge=1, le=64)
    """Threads each ffmpeg that processes a recording may use (it also runs at niceness 10,
    one recording at a time), so that processing never starves live meetings."""
    recording_max_hours: float = Field(default=8.0, gt=0, le=48)
    """A recording longer than this is stopped by itself (bounds the disk one meeting uses)."""
    transcript_retention_days: int = Field(default=30, ge=1, le=36500)
    """How long meeting transcripts are kept; older ones (their turns and search entries with
    them) are purged once an hour."""
    webhooks_allow_http: bool = False
    """Let webhook endpoints be plain http:// addresses (only for tests and closed networks)."""
    webhooks_allow_private: bool = False
    """Let webhooks reach loopback, private, link-local and other non-public addresses (the
    SSRF guard refuses them otherwise)."""
    webhooks_encryption_key: SecretStr | None = None
    """The key that encrypts webhook signing secrets in the database: 32 bytes, URL-safe
    base64. Unset: a key file ``webhooks.key`` is made in the data directory (servers sharing a
    PostgreSQL database must share one key: set it)."""
    webhooks_max_endpoints: int = Field(default=10, ge=1, le=100)
    """Endpoints one room may have (and the deployment-wide ones, together)."""
    webhooks_max_attempts: int = Field(default=9, ge=1, le=20)
    """Attempts to deliver one event before giving up (the first and the retries)."""
    webhooks_retry_scale: float = Field(default=1.0, gt=0, le=10)
    """Multiplies the retry delays (5 s, 30 s, 2 min, 10 min, 1 h, 3 h, 6 h, 12 h): tests
    shorten them; 1 is the documented schedule."""
    webhooks_timeout_s: float = Field(default=10.0, gt=0, le=60)
    """How long one delivery may take, connecting, sending and reading the answer."""
    webhooks_log_retention_days: int = Field(default=30, ge=1, le=36500)
    """How long finished deliveries and their attempts are kept in the delivery log."""

    @field_validator("webhooks_encryption_key")
    @classmethod
    def _check_webhooks_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            try:
                key = base64.urlsafe_b64decode(value.get_secret_value().strip() + "==")
            except ValueError:
                key = b""
            if len(key) != 32:
                raise ValueError(
                    "must be 32 random bytes in URL-safe base64 "
                    '(python3 -c "import secrets; print(secrets.token_urlsafe(32))")'
                )
        return value

    turn_urls: Annotated[list[str], NoDecode] = Field(default_factory=list)
    """Visio's own TURN server (coturn), as browsers reach it: ``turn:`` and ``turns:`` URLs,
    comma-separated (``turn:turn.example.gouv.fr:3478?transport=udp``, ``...?transport=tcp``,
    ``turns:turn.example.gouv.fr:443?transport=tcp``). Empty: no TURN (visio.turn)."""
    turn_secret: SecretStr | None = None
    """coturn's ``static-auth-secret``: Visio mints each participant's short-lived TURN
    credential with it. Required with ``VISIO_TURN_URLS``; never logged or sent to browsers."""
    turn_realm: str = Field(default="visio", pattern=r"^[A-Za-z0-9.\-]{1,128}$")
    turn_credential_ttl_seconds: int = Field(default=3600, ge=60, le=86400)
    """How long a minted TURN credential can open a relay (coturn checks it when a relay is
    allocated; relays already open keep working). Browsers ask for fresh ones before then."""
    turn_tls_cert: Path | None = None
    turn_tls_key: Path | None = None
    """The TLS certificate chain and key coturn presents on ``VISIO_TURN_TLS_PORT`` (for
    ``turns:`` URLs): a certificate browsers trust, for the TURN server's DNS name."""
    turn_port: int = Field(default=3478, ge=1, le=65535)
    """coturn's UDP and TCP listening port."""
    turn_tls_port: int = Field(default=443, ge=1, le=65535)
    """coturn's TLS listening port: 443, the port locked-down networks leave open."""
    turn_listening_ips: Annotated[list[str], NoDecode] = Field(default_factory=list)
    """Addresses coturn listens on (default: all of the machine's)."""
    turn_relay_ip: str | None = None
    """The address coturn relays media from (default: the first listening address)."""
    turn_external_ip: str | None = None
    """coturn's public address when it sits behind a 1:1 NAT (``external-ip``)."""
    turn_relay_port_range: str = "49152-65535"
    turn_peer_ips: Annotated[list[str], NoDecode] = Field(default_factory=list)
    """The media server's (Janus's) addresses: coturn relays to them even when they are
    private, and to no other private, loopback or link-local address."""
    turn_user_quota: int = Field(default=12, ge=1, le=10_000)
    """Relays one credential (one participant) may hold at once (a browser opens one per TURN
    URL and peer connection, and again on ICE restarts)."""
    turn_total_quota: int = Field(default=3000, ge=1, le=1_000_000)
    """Relays coturn holds at once in all."""
    turn_stats_redis_url: SecretStr | None = None
    """A Redis where coturn publishes its allocations and traffic (coturn's ``redis-statsdb``),
    ``redis://[:password@]host[:port][/db]``: ``visio turn-config`` points coturn at it and
    ``/metrics`` shows TURN usage (visio.turn.usage). Unset: no TURN usage metrics."""

    # Mail (src/visio/mail): invitations and notices through the operator's SMTP server.
    smtp_host: str | None = None
    """The SMTP server that sends Visio's mail; none: no mail is sent (and none is queued)."""
    smtp_port: int | None = Field(default=None, ge=1, le=65535)
    """Default: 587 with ``starttls``, 465 with ``tls``, 25 with ``none``."""
    smtp_security: Literal["none", "starttls", "tls"] = "starttls"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_from: str | None = None
    """The sender, ``visio@example.gouv.fr`` or ``Visio <visio@example.gouv.fr>``."""
    smtp_ca_file: Path | None = None
    """A PEM file of the authorities to trust for the SMTP server's certificate (an internal
    CA); default: the system's."""
    smtp_timeout_seconds: float = Field(default=30.0, gt=0, le=600)
    mail_language: Literal["fr", "en"] = "fr"
    """The language of mail to people whose own is not known."""
    meeting_max_invitees: int = Field(default=100, ge=1, le=1000)
    meeting_max_duration_minutes: int = Field(default=12 * 60, ge=5, le=7 * 24 * 60)

    caldav_url: str | None = None
    """The deployment's calendar server: the URL of each person's calendar collection, with
    ``{email}`` (or ``{user}``, the part before the @) standing for the organiser, e.g.
    ``https://calendars.example.gouv.fr/caldav/{email}/visio/``; none by default."""
    caldav_username: str | None = None
    caldav_password: SecretStr | None = None
    """The service account Visio signs in to VISIO_CALDAV_URL with (HTTP Basic)."""
    caldav_encryption_key: SecretStr | None = None
    """Fernet keys (comma-separated, the first encrypts) for the app passwords people give for
    their own calendar; without one, people cannot connect their own calendar."""
    caldav_allow_http: bool = False
    """Allow plain http:// calendar servers (tests, a server on the same host); off: https only."""
    caldav_allow_private: bool = False
    """Allow calendar servers on loopback, private, link-local and other non-public addresses
    (off: refused, so a person's calendar URL cannot reach into Visio's own network)."""
    caldav_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    caldav_requests_per_minute: int = Field(default=20, ge=1, le=10_000)
    """Calendar requests one person may cause per minute from the web app ("test connection",
    "My meetings"): each makes Visio call a server on their behalf."""

    @field_validator("janus_ice_interfaces", "janus_ice_ignore", mode="before")
    @classmethod
    def _split_interface_list(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [item.strip() for item in value.split(",") if item.strip()]
        if isinstance(value, list):
            for item in value:
                if not isinstance(item, str) or not _INTERFACE_ITEM.fullmatch(item):
                    raise ValueError(
                        f"{item!r} is not an interface name or IP address (comma-separated list)"
                    )
        return value

    @field_validator("frame_ancestors", mode="before")
    @classmethod
    def _check_frame_ancestors(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [item.strip() for item in value.split(",") if item.strip()]
        return [embedding_origin(origin) for origin in value]

    @field_validator("ice_servers", mode="before")
    @classmethod
    def _parse_ice_servers(cls, value: Any) -> Any:
        if isinstance(value, str):
            if not value.strip():
                return []
            try:
                return json.loads(value)
            except json.JSONDecodeError as exc:
                raise ValueError(
                    'must be a JSON list such as [{"urls": ["turn:turn.example.org:3478"], '
                    f'"username": "u", "credential": "c"}}] ({exc.msg})'
                ) from exc
        return value

    @field_validator("oidc_providers", mode="before")
    @classmethod
    def _parse_oidc_providers(cls, value: Any) -> Any:
        if isinstance(value, str):
            if not value.strip():
                return []
            try:
                value = json.loads(value)
            except json.JSONDecodeError as exc:
                raise ValueError(
                    'must be a JSON list such as [{"id": "proconnect", "display_name": '
                    '"ProConnect", "issuer": "https://auth.agentconnect.gouv.fr/api/v2", '
                    f'"client_id": "...", "client_secret": "..."}}] ({exc.msg})'
                ) from None
        if isinstance(value, list):
            ids = [item.get("id") for item in value if isinstance(item, dict)]
            duplicates = sorted({str(i) for i in ids if ids.count(i) > 1})
            if duplicates:
                raise ValueError(f"provider ids must be unique: {', '.join(duplicates)}")
        return value

    @field_validator("admins", mode="before")
    @classmethod
    def _split_admins(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("room_creation")
    @classmethod
    def _check_room_creation(cls, value: str) -> str:
        value = value.strip()
        if value in ("everyone", "signed_in", "admins"):
            return value
        if value.startswith("groups:"):
            names = [name.strip() for name in value.removeprefix("groups:").split(",")]
            if names and all(names):
                return "groups:" + ",".join(names)
        raise ValueError("must be everyone, signed_in, admins or groups:<name>[,<name>]")

    @field_validator("database_url")
    @classmethod
    def _choose_async_driver(cls, value: str | None) -> str | None:
        """``sqlite:///path`` and ``postgresql://…`` (or ``postgres://``), the forms people write,
        get the async drivers Visio runs on (aiosqlite, asyncpg)."""
        if value is None or not value.strip():
            return None
        value = value.strip()
        scheme, separator, rest = value.partition("://")
        drivers = {
            "sqlite": "sqlite+aiosqlite",
            "sqlite+aiosqlite": "sqlite+aiosqlite",
            "postgresql": "postgresql+asyncpg",
            "postgres": "postgresql+asyncpg",
            "postgresql+asyncpg": "postgresql+asyncpg",
        }
        if not separator or scheme.lower() not in drivers:
            raise ValueError(
                "must be sqlite:///path/to/visio.db or postgresql://user:password@host/database"
            )
        return f"{drivers[scheme.lower()]}://{rest}"

    @field_validator("ldap_url")
    @classmethod
    def _check_ldap_url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^ldaps?://", value):
            raise ValueError("must be an ldap:// or ldaps:// URL")
        return value or None

    @field_validator("janus_nat_1_1_mapping")
    @classmethod
    def _check_nat_mapping(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        for item in value.split(","):
            try:
                ipaddress.ip_address(item.strip())
            except ValueError as exc:
                raise ValueError(f"{item.strip()!r} is not an IP address") from exc
        return value.strip()

    @field_validator("janus_rtp_port_range", "turn_relay_port_range")
    @classmethod
    def _check_port_range(cls, value: str) -> str:
        match = _PORT_RANGE.match(value.strip())
        if not match:
            raise ValueError("must look like 20000-40000")
        low, high = int(match.group(1)), int(match.group(2))
        if not 1024 <= low < high <= 65535:
            raise ValueError("must be two ports between 1024 and 65535, the first below the second")
        return f"{low}-{high}"

    @field_validator("janus_url")
    @classmethod
    def _check_janus_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        from visio.media.janus.urls import check_janus_url

        return check_janus_url(value)

    @field_validator("janus_urls", mode="before")
    @classmethod
    def _check_janus_urls(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [item.strip() for item in value.split(",") if item.strip()]
        if isinstance(value, list):
            from visio.media.janus.urls import check_janus_urls

            return check_janus_urls([str(item) for item in value])
        return value

    @field_validator("turn_urls", mode="before")
    @classmethod
    def _check_turn_urls(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [item.strip() for item in value.split(",") if item.strip()]
        if isinstance(value, list):
            for item in value:
                parse_turn_url(item)  # raises ValueError saying what is wrong
        return value

    @field_validator("turn_stats_redis_url")
    @classmethod
    def _check_turn_stats_redis_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        from visio.turn.usage import parse_stats_url

        parse_stats_url(value.get_secret_value())  # never echoes the URL (it may hold a password)
        return SecretStr(value.get_secret_value().strip())

    @field_validator("turn_listening_ips", "turn_peer_ips", mode="before")
    @classmethod
    def _check_ip_list(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [item.strip() for item in value.split(",") if item.strip()]
        if isinstance(value, list):
            for item in value:
                try:
                    ipaddress.ip_address(str(item))
                except ValueError as exc:
                    raise ValueError(f"{item!r} is not an IP address") from exc
        return value

    @field_validator("turn_relay_ip", "turn_external_ip")
    @classmethod
    def _check_ip(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        try:
            return str(ipaddress.ip_address(value.strip()))
        except ValueError as exc:
            raise ValueError(f"{value.strip()!r} is not an IP address") from exc

    @field_validator("caldav_url")
    @classmethod
    def _check_caldav_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        from visio.calendars.addresses import check_url_template

        return check_url_template(value.strip())

    @field_validator("caldav_encryption_key")
    @classmethod
    def _check_caldav_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        from visio.calendars.passwords import parse_keys

        parse_keys(value.get_secret_value())
        return value

    @model_validator(mode="after")
    def _external_janus_needs_url(self) -> Settings:
        if self.janus_url and self.janus_urls:
            raise ValueError(
                "set VISIO_JANUS_URL (one Janus) or VISIO_JANUS_URLS (several), not both"
            )
        if self.janus_mode == "external" and not (self.janus_url or self.janus_urls):
            raise ValueError(
                "VISIO_JANUS_URL is required when VISIO_JANUS_MODE=external "
                "(or VISIO_JANUS_URLS, for several Janus instances)"
            )
        if self.janus_mode == "embedded" and self.janus_urls:
            raise ValueError("VISIO_JANUS_URLS needs VISIO_JANUS_MODE=external")
        if self.ldap_url and not (self.ldap_users_base and self.ldap_groups_base):
            raise ValueError(
                "VISIO_LDAP_USERS_BASE and VISIO_LDAP_GROUPS_BASE are required with VISIO_LDAP_URL"
            )
        if self.janus_ws_port == self.janus_admin_port:
            raise ValueError("VISIO_JANUS_WS_PORT and VISIO_JANUS_ADMIN_PORT must differ")
        if self.turn_urls:
            if self.turn_secret is None or len(self.turn_secret.get_secret_value()) < 32:
                raise ValueError(
                    "VISIO_TURN_SECRET (at least 32 characters, e.g. `openssl rand -hex 32`) "
                    "is required with VISIO_TURN_URLS"
                )
            if any(server.credential for server in self.ice_servers):
                raise ValueError(
                    "VISIO_ICE_SERVERS must not hold a static TURN password when VISIO_TURN_URLS "
                    "is set: Visio mints short-lived credentials for its TURN server"
                )
        if (self.turn_tls_cert is None) != (self.turn_tls_key is None):
            raise ValueError("VISIO_TURN_TLS_CERT and VISIO_TURN_TLS_KEY go together")
        return self

    @field_validator("smtp_host", "smtp_username", "smtp_from")
    @classmethod
    def _one_line_mail_setting(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if any(ord(char) < 32 or ord(char) == 127 for char in value):
            raise ValueError("must be one line without control characters")
        return value.strip()

    @field_validator("smtp_from")
    @classmethod
    def _check_sender(cls, value: str | None) -> str | None:
        if value is None:
            return None
        from email.utils import parseaddr

        from email_validator import EmailNotValidError, validate_email

        _, address = parseaddr(value)
        try:
            validate_email(address, check_deliverability=False)
        except EmailNotValidError as exc:
            raise ValueError(
                f"must be an e-mail address such as Visio <visio@example.gouv.fr> ({exc})"
            ) from None
        return value

    @model_validator(mode="after")
    def _mail_settings_agree(self) -> Settings:
        if self.smtp_host is None:
            return self
        if self.smtp_from is None:
            raise ValueError("VISIO_SMTP_FROM is required with VISIO_SMTP_HOST")
        if (self.smtp_username is None) != (self.smtp_password is None):
            raise ValueError("VISIO_SMTP_USERNAME and VISIO_SMTP_PASSWORD go together")
        if self.smtp_username is not None and self.smtp_security == "none":
            raise ValueError(
                "VISIO_SMTP_USERNAME needs VISIO_SMTP_SECURITY=starttls or tls: a password is "
                "never sent in clear text"
            )
        if self.smtp_ca_file is not None and not self.smtp_ca_file.is_file():
            raise ValueError(f"VISIO_SMTP_CA_FILE {self.smtp_ca_file} is not a file")
        return self

    @property
    def mail_configured(self) -> bool:
        return self.smtp_host is not None

    @property
    def effective_smtp_port(self) -> int:
        if self.smtp_port is not None:
            return self.smtp_port
        return {"none": 25, "starttls": 587, "tls": 465}[self.smtp_security]

    @model_validator(mode="after")
    def _caldav_needs_https(self) -> Settings:
        if self.caldav_url and self.caldav_url.startswith("http://") and not self.caldav_allow_http:
            raise ValueError("VISIO_CALDAV_URL must be https:// (or set VISIO_CALDAV_ALLOW_HTTP)")
        return self

    def oidc_provider(self, provider_id: str) -> OidcProviderConfig | None:
        """The configured provider with this id, if any."""
        return next((p for p in self.oidc_providers if p.id == provider_id), None)

    @property
    def secure_cookies(self) -> bool:
        """Cookies are marked Secure when people reach Visio over https."""
        return self.public_url is not None and self.public_url.scheme == "https"

    @property
    def janus_instance_urls(self) -> list[str]:
        """External mode: every Janus to connect to (``VISIO_JANUS_URLS``, or the one
        ``VISIO_JANUS_URL``); empty in embedded mode."""
        if self.janus_mode != "external":
            return []
        return list(self.janus_urls) or ([self.janus_url] if self.janus_url else [])

    @property
    def effective_recordings_dir(self) -> Path:
        """The recordings folder, absolute (Janus writes there too)."""
        return (self.recordings_dir or self.data_dir / "recordings").resolve()

    @property
    def effective_database_url(self) -> str:
        """The database URL, defaulting to a SQLite file in the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'visio.db').resolve()}"

    # Meeting replies (src/visio/scheduling/replies.py): iMIP METHOD:REPLY read from a mailbox.
    imap_host: str | None = None
    """The IMAP server holding the mailbox invitees' replies reach; none: replies are ignored."""
    imap_port: int | None = Field(default=None, ge=1, le=65535)
    """Default: 993 with ``tls``, 143 with ``starttls``."""
    imap_security: Literal["tls", "starttls"] = "tls"
    imap_username: str | None = None
    imap_password: SecretStr | None = None
    imap_mailbox: str = "INBOX"
    imap_ca_file: Path | None = None
    """A PEM file of the authorities to trust for the IMAP server's certificate."""
    imap_poll_seconds: float = Field(default=60.0, ge=1, le=3600)
    imap_timeout_seconds: float = Field(default=30.0, gt=0, le=600)

    @field_validator("imap_mailbox")
    @classmethod
    def _one_line_mailbox(cls, value: str) -> str:
        return cls._one_line_imap_setting(value) or "INBOX"

    @field_validator("imap_host", "imap_username")
    @classmethod
    def _one_line_imap_setting(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if any(ord(char) < 32 or ord(char) == 127 for char in value) or '"' in value:
            raise ValueError("must be one line without control characters or quotes")
        return value.strip()

    @model_validator(mode="after")
    def _imap_settings_agree(self) -> Settings:
        if self.imap_host is None:
            return self
        if self.imap_username is None or self.imap_password is None:
            raise ValueError(
                "VISIO_IMAP_USERNAME and VISIO_IMAP_PASSWORD are required with VISIO_IMAP_HOST"
            )
        if self.imap_ca_file is not None and not self.imap_ca_file.is_file():
            raise ValueError(f"VISIO_IMAP_CA_FILE {self.imap_ca_file} is not a file")
        return self

    @property
    def replies_configured(self) -> bool:
        return self.imap_host is not None

    @property
    def effective_imap_port(self) -> int:
        if self.imap_port is not None:
            return self.imap_port
        return {"starttls": 143, "tls": 993}[self.imap_security]

    # Several app servers (src/visio/cluster/): rooms placed in Redis, one owner each.
    redis_url: SecretStr | None = None
    """``redis://[:password@]host[:port][/db]``, ``rediss://`` (TLS) or ``unix:///path``. Set: this
    app server is one of several sharing Redis and the database; unset: one machine, no Redis."""
    node_id: str | None = None
    """This app server's name among the others (default: host name and port). Unique per server."""

    @field_validator("redis_url")
    @classmethod
    def _check_redis_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        url = value.get_secret_value().strip()
        if not re.fullmatch(r"(redis|rediss|unix)://\S+", url):
            # Never echo the URL: it may hold Redis's password.
            raise ValueError("must be a redis://, rediss:// or unix:// URL")
        return SecretStr(url)

    @field_validator("node_id")
    @classmethod
    def _check_node_id(cls, value: str | None) -> str | None:
        if value is not None and not _NODE_ID.fullmatch(value):
            raise ValueError("must be 1 to 64 letters, digits, '.', '_', ':' or '-'")
        return value

    @property
    def effective_node_id(self) -> str:
        """This server's name in the cluster: VISIO_NODE_ID, or host name and port."""
        if self.node_id:
            return self.node_id
        host = re.sub(r"[^A-Za-z0-9._-]", "-", socket.gethostname())[:50] or "visio"
        return f"{host}:{self.port}"

    # Resume tokens (src/visio/rooms/resume.py): someone whose socket dropped comes back as
    # themselves, on any app server of the cluster.
    resume_secret: SecretStr | None = None
    """The key resume tokens are signed with: at least 32 random bytes in base64. Unset: a key
    file ``resume.key`` is made in the data directory (app servers of a cluster must share one
    key: set it, the same on each)."""
    resume_ttl_seconds: int = Field(default=600, ge=60, le=3600)
    """How long a resume token holds once its holder's socket drops (a connected participant
    gets a fresh one every third of this)."""

    @field_validator("resume_secret")
    @classmethod
    def _check_resume_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        decode_resume_secret(value.get_secret_value())  # the error never echoes the value
        return value

    # Copies in S3-compatible object storage (src/visio/storage/objects.py): finished
    # recordings and transcript exports; deleted with them.
    object_store_endpoint: str | None = None
    """The store's address, ``https://s3.example.gouv.fr`` (or ``http://`` on a closed
    network). Unset with a bucket set: AWS S3 in ``VISIO_OBJECT_STORE_REGION``."""
    object_store_bucket: str | None = None
    """The bucket copies go to (it must exist). Unset: no copies, local files only."""
    object_store_region: str = "us-east-1"
    object_store_access_key: SecretStr | None = None
    object_store_secret_key: SecretStr | None = None
    """Credentials (both or neither; neither: boto3's own, e.g. an instance role)."""
    object_store_path_style: bool = True
    """Address buckets as ``endpoint/bucket/key`` (what self-hosted stores expect); off:
    ``bucket.endpoint/key``."""
    object_store_verify_tls: bool = True
    """Check the store's TLS certificate (turn off only on a closed test network)."""
    object_store_ca_file: Path | None = None
    """A PEM file of the authorities to trust for the store's certificate."""
    object_store_prefix: str = "visio/"
    """Keys start with this (several installations can share a bucket)."""
    object_store_part_size_mb: int = Field(default=8, ge=5, le=5120)
    """Files this large or larger go up in parts of this size (multipart upload)."""
    object_store_timeout_s: float = Field(default=30.0, gt=0, le=600)
    object_store_retry_attempts: int = Field(default=6, ge=1, le=50)
    """Attempts to copy one file before leaving it to the hourly sweep (the local file stays)."""
    object_store_retry_initial_s: float = Field(default=5.0, gt=0, le=3600)
    """The first wait after a failed copy; each next one doubles, up to the maximum."""
    object_store_retry_maximum_s: float = Field(default=900.0, gt=0, le=86400)
    """The longest wait between two attempts (15 minutes)."""

    @field_validator("object_store_endpoint")
    @classmethod
    def _check_object_store_endpoint(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        # The messages never echo the value: a mistyped one may hold a credential.
        scheme, separator, rest = value.strip().partition("://")
        host = rest.split("/", 1)[0]
        if not separator or scheme.lower() not in ("http", "https"):
            raise ValueError("must be an http:// or https:// URL (https://s3.example.gouv.fr)")
        if "@" in host:
            raise ValueError(
                "must not hold credentials: set VISIO_OBJECT_STORE_ACCESS_KEY and "
                "VISIO_OBJECT_STORE_SECRET_KEY"
            )
        if not re.fullmatch(r"[A-Za-z0-9.\-]+(:\d{1,5})?|\[[0-9A-Fa-f:.]+\](:\d{1,5})?", host):
            raise ValueError("must be http(s)://host[:port] with a valid host name")
        if rest[len(host) :].strip("/") or "?" in rest or "#" in rest:
            raise ValueError("must be only http(s)://host[:port], without a path or query")
        return f"{scheme.lower()}://{host}"

    @field_validator("object_store_bucket")
    @classmethod
    def _check_object_store_bucket(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if not re.fullmatch(r"[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]", value.strip()):
            raise ValueError(
                "must be an S3 bucket name: 3 to 63 lowercase letters, digits, '.' or '-'"
            )
        return value.strip()

    @field_validator("object_store_region")
    @classmethod
    def _check_object_store_region(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Za-z0-9\-_]{1,64}", value):
            raise ValueError("must be a region name such as us-east-1 or fr-par")
        return value

    @field_validator("object_store_prefix")
    @classmethod
    def _check_object_store_prefix(cls, value: str) -> str:
        if not re.fullmatch(r"([A-Za-z0-9_.\-]+/)*", value) or ".." in value:
            raise ValueError("must be empty or folder names each ending in '/' (visio/)")
        return value

    @model_validator(mode="after")
    def _object_store_settings_agree(self) -> Settings:
        if self.object_store_endpoint is not None and self.object_store_bucket is None:
            raise ValueError(
                "VISIO_OBJECT_STORE_BUCKET is required with VISIO_OBJECT_STORE_ENDPOINT"
            )
        if (self.object_store_access_key is None) != (self.object_store_secret_key is None):
            raise ValueError(
                "VISIO_OBJECT_STORE_ACCESS_KEY and VISIO_OBJECT_STORE_SECRET_KEY go together"
            )
        if self.object_store_ca_file is not None and not self.object_store_ca_file.is_file():
            raise ValueError(
                f"VISIO_OBJECT_STORE_CA_FILE {self.object_store_ca_file} is not a file"
            )
        return self

    @property
    def object_store_configured(self) -> bool:
        return self.object_store_bucket is not None


def decode_resume_secret(value: str) -> bytes:
    """A resume key: base64 (standard or URL-safe, padding optional) of at least 32 bytes."""
    text = value.strip()
    try:
        raw = base64.urlsafe_b64decode(
            text.replace("+", "-").replace("/", "_") + "=" * (-len(text) % 4)
        )
    except ValueError:
        raw = b""
    if len(raw) < 32:
        raise ValueError(
            "must be at least 32 random bytes in base64 "
            '(python3 -c "import secrets; print(secrets.token_urlsafe(32))")'
        )
    return raw


class SettingsError(Exception):
    """Raised when the configuration is invalid; the message lists every problem."""


def _variable_name(location: tuple[int | str, ...]) -> str:
    """``('oidc_providers', 0, 'scopes')`` → ``VISIO_OIDC_PROVIDERS[0].scopes``."""
    if not location:
        return "settings"
    head, *rest = location
    return f"VISIO_{str(head).upper()}" + "".join(
        f"[{part}]" if isinstance(part, int) else f".{part}" for part in rest
    )


def load_settings(**overrides: Any) -> Settings:
    """Read and validate the settings, turning validation errors into one readable message."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        lines = ["Invalid configuration:"]
        for error in exc.errors():
            name = _variable_name(error["loc"])
            lines.append(f"  {name}: {error['msg']}")
        raise SettingsError("\n".join(lines)) from None
