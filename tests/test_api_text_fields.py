"""Every text a client sends to the REST API, with any Unicode (lone surrogates, NUL, controls,
bidi overrides), on SQLite and on PostgreSQL: never a server error, a refusal is a clear 4xx."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.oidc.provider import visio_with_provider
from tests.postgres import throwaway_postgres
from tests.rooms.people import Browser
from tests.support import migrate
from visio.errors import error_response

ANY_TEXT = st.text(
    st.characters(codec=None, exclude_categories=())
    | st.characters(categories=["Cs", "Cc", "Cf", "Zl", "Zp", "Co"])
    | st.sampled_from(["\x00", "\ud800", "\udfff", "\u202e", "\u200b", "\r", "\n", " "]),
    max_size=150,
)
EXAMPLES = settings(
    max_examples=60, deadline=None, database=None, suppress_health_check=list(HealthCheck)
)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def signed_in(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Browser]:
    """Pierre, signed in to a real `visio serve` on SQLite, then on PostgreSQL."""
    folder = tmp_path_factory.mktemp(f"visio-text-{request.param}")
    with _database(request.param, folder) as extra, visio_with_provider(folder, **extra) as pair:
        browser = Browser(pair[0], pair[1], "pierre")
        yield browser
        browser.close()


class _database:
    """No setting for SQLite (the default); a migrated throwaway cluster for PostgreSQL."""

    def __init__(self, kind: str, folder: Path) -> None:
        self._kind = kind
        self._folder = folder
        self._cluster: Any = None

    def __enter__(self) -> dict[str, str]:
        if self._kind == "sqlite":
            return {}
        self._cluster = throwaway_postgres()
        url = self._cluster.__enter__()
        migrate(url, self._folder)
        return {"database_url": url}

    def __exit__(self, *exc: object) -> None:
        if self._cluster is not None:
            self._cluster.__exit__(None, None, None)


def _send_json(browser: Browser, method: str, path: str, body: Any) -> httpx.Response:
    """JSON as any client may write it: a lone surrogate travels as a \\ud800 escape."""
    return browser.http.request(
        method,
        path,
        content=json.dumps(body).encode(),
        headers={"content-type": "application/json"},
    )


def _in_path(text: str) -> str:
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


def _clear(response: httpx.Response, *accepted: int) -> None:
    """Accepted, or refused with a 4xx that says why in the API's error shape."""
    assert response.status_code < 500, (response.status_code, response.text[:300])
    if response.status_code not in accepted:
        assert 400 <= response.status_code < 500, response.status_code
        error = response.json()["error"]
        assert error["code"] and error["message"]


def test_text_fields_room_name_any_unicode_is_accepted_or_refused_clearly(
    signed_in: Browser,
) -> None:
    """Room names, at creation and renaming (and odd keys beside them)."""
    slug = signed_in.create_room(name="Réunion")

    @given(name=ANY_TEXT)
    @EXAMPLES
    def check(name: str) -> None:
        _clear(_send_json(signed_in, "POST", "/api/v1/rooms", {"name": name}), 201)
        _clear(_send_json(signed_in, "PATCH", f"/api/v1/rooms/{slug}", {"name": name}), 200)
        _clear(_send_json(signed_in, "POST", "/api/v1/rooms", {name: "x"}), 201)

    check()


def test_text_fields_token_name_any_unicode_is_accepted_or_refused_clearly(
    signed_in: Browser,
) -> None:
    """API token names."""

    @given(name=ANY_TEXT)
    @EXAMPLES
    def check(name: str) -> None:
        body = {"name": name, "scopes": ["rooms:read"], "expires_in_days": 1}
        _clear(_send_json(signed_in, "POST", "/api/v1/tokens", body), 201)

    check()


def test_text_fields_invitation_label_any_unicode_is_accepted_or_refused_clearly(
    signed_in: Browser,
) -> None:
    """Invitation labels."""
    slug = signed_in.create_room(access="restricted")

    @given(label=ANY_TEXT)
    @EXAMPLES
    def check(label: str) -> None:
        path = f"/api/v1/rooms/{slug}/invitations"
        _clear(_send_json(signed_in, "POST", path, {"label": label}), 201)

    check()


def test_text_fields_role_holder_any_unicode_is_refused_clearly(signed_in: Browser) -> None:
    """The person (or group) a role is given to, in the path (digits of any script included)."""
    slug = signed_in.create_room(access="restricted")

    @given(user=ANY_TEXT | st.sampled_from(["\u00b2", "\u0661\u0662", "9" * 30, "0"]))
    @EXAMPLES
    def check(user: str) -> None:
        path = f"/api/v1/rooms/{slug}/roles/{_in_path(user)}"
        _clear(_send_json(signed_in, "PUT", path, {"role": "member"}), 200)

    check()


def test_text_fields_provider_id_any_unicode_is_a_404(signed_in: Browser) -> None:
    """Sign-in and callback links naming any provider id that is not configured."""

    @given(
        provider=ANY_TEXT.filter(
            lambda p: p not in ("proconnect", "logout", ".", "..") and p and "/" not in p
        )
    )
    @EXAMPLES
    def check(provider: str) -> None:
        for step in ("login", "callback"):
            response = signed_in.http.get(f"/auth/{_in_path(provider)}/{step}?state=x&code=y")
            _clear(response)

    check()


def test_text_fields_room_slug_any_unicode_is_refused_clearly(
    signed_in: Browser, tmp_path: Path
) -> None:
    """Room codes in the path, with a session and with a bogus API token."""
    bogus = {"authorization": "Bearer vt_bogus"}

    @given(slug=ANY_TEXT)
    @EXAMPLES
    def check(slug: str) -> None:
        path = f"/api/v1/rooms/{_in_path(slug)}"
        _clear(signed_in.http.get(path), 200)
        _clear(httpx.get(f"{signed_in.server.url}{path}", headers=bogus, timeout=15))
        _clear(_send_json(signed_in, "PATCH", path, {"name": "x"}), 200)

    check()


def test_text_fields_validation_error_with_a_lone_surrogate_is_answered(
    signed_in: Browser,
) -> None:
    """A key holding a lone surrogate gets a 422 that says so, not a server error."""
    response = _send_json(signed_in, "POST", "/api/v1/rooms", {"\ud800": 1})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_request"


def test_error_reply_quoting_a_lone_surrogate_escapes_it() -> None:
    """An error message quoting client text with a lone surrogate is still a valid reply."""
    reply = error_response(422, "invalid_request", "body.\ud800: Extra inputs are not permitted")
    assert (
        json.loads(reply.body)["error"]["message"] == "body.\\ud800: Extra inputs are not permitted"
    )
