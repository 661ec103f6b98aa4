"""Rooms that belong to people, over REST: create, name, list, access levels, roles, audit."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.auth.signin import audit_events
from tests.oidc.provider import TestProvider
from tests.rooms.people import EMAILS, Browser
from tests.support import RunningServer, start_server


def test_api_rooms_create_named_room_makes_the_creator_its_owner(
    browsers: dict[str, Browser],
) -> None:
    """A signed-in person names a new room, owns it and finds it in their rooms."""
    pierre = browsers["pierre"]
    slug = pierre.create_room(name="  Point hebdo  ", access="trusted")
    room = pierre.http.get(f"/api/v1/rooms/{slug}").json()
    assert (room["name"], room["access"], room["my_role"]) == ("Point hebdo", "trusted", "owner")
    mine = pierre.http.get("/api/v1/me/rooms").json()["rooms"]
    assert {"slug": slug, "my_role": "owner", "name": "Point hebdo"}.items() <= mine[0].items()


def test_api_rooms_create_needs_the_csrf_token_when_signed_in(
    browsers: dict[str, Browser],
) -> None:
    """A cookie-authenticated creation without the CSRF header is refused."""
    pierre = browsers["pierre"]
    response = pierre.http.post("/api/v1/rooms", headers={"X-CSRF-Token": ""})
    assert (response.status_code, response.json()["error"]["code"]) == (403, "csrf_failed")


def test_api_rooms_anonymous_creation_stays_public(guest: Browser) -> None:
    """A guest may create a public room (the default setting), not a trusted one."""
    assert guest.create_room()
    response = guest.http.post("/api/v1/rooms", json={"access": "trusted"})
    assert (response.status_code, response.json()["error"]["code"]) == (401, "not_signed_in")


def test_api_rooms_owner_renames_changes_access_and_gives_roles(
    browsers: dict[str, Browser], oidc_server: tuple[RunningServer, TestProvider]
) -> None:
    """The owner renames, restricts, names an administrator by e-mail; each step is audited."""
    pierre, marie = browsers["pierre"], browsers["marie"]
    slug = pierre.create_room()
    changed = pierre.http.patch(
        f"/api/v1/rooms/{slug}", json={"name": "Comité", "access": "restricted"}
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["name"], changed.json()["access"]) == ("Comité", "restricted")
    granted = pierre.http.put(
        f"/api/v1/rooms/{slug}/roles/{EMAILS['marie']}", json={"role": "administrator"}
    )
    assert granted.status_code == 200, granted.text
    assert granted.json()["role"] == "administrator"
    assert marie.http.get(f"/api/v1/rooms/{slug}").json()["my_role"] == "administrator"
    roles = marie.http.get(f"/api/v1/rooms/{slug}/roles").json()["roles"]
    assert [(r["email"], r["role"]) for r in roles] == [
        (EMAILS["pierre"], "owner"),
        (EMAILS["marie"], "administrator"),
    ]
    revoked = pierre.http.delete(f"/api/v1/rooms/{slug}/roles/{EMAILS['marie']}")
    assert revoked.status_code == 204
    server, provider = oidc_server
    for event in ("room.created", "room.changed", "room.role_granted", "room.role_revoked"):
        mine = [e for e in audit_events(server, provider, event) if e["target"] == slug]
        assert mine and mine[-1]["outcome"] == "success", event
        assert mine[-1]["actor"] == EMAILS["pierre"]


def test_api_rooms_last_owner_cannot_be_removed(browsers: dict[str, Browser]) -> None:
    """A room keeps at least one owner."""
    pierre = browsers["pierre"]
    slug = pierre.create_room()
    response = pierre.http.delete(f"/api/v1/rooms/{slug}/roles/{EMAILS['pierre']}")
    assert (response.status_code, response.json()["error"]["code"]) == (409, "last_owner")


def test_api_rooms_role_for_someone_who_never_signed_in_is_a_clear_404(
    browsers: dict[str, Browser],
) -> None:
    """Roles go to people Visio knows; an unknown e-mail says so."""
    pierre = browsers["pierre"]
    slug = pierre.create_room()
    response = pierre.http.put(
        f"/api/v1/rooms/{slug}/roles/nobody@example.org", json={"role": "member"}
    )
    assert (response.status_code, response.json()["error"]["code"]) == (404, "user_not_found")


def test_api_rooms_refusals_are_audited(
    browsers: dict[str, Browser], oidc_server: tuple[RunningServer, TestProvider]
) -> None:
    """Someone without a role trying to rename a room is refused and recorded."""
    slug = browsers["pierre"].create_room()
    response = browsers["lucie"].http.patch(f"/api/v1/rooms/{slug}", json={"name": "Pirate"})
    assert (response.status_code, response.json()["error"]["code"]) == (403, "forbidden")
    refused = [e for e in audit_events(*oidc_server, "room.changed") if e["target"] == slug]
    assert [(e["outcome"], e["actor"]) for e in refused] == [("failure", EMAILS["lucie"])]


def test_api_rooms_openapi_describes_ownership_routes(browsers: dict[str, Browser]) -> None:
    """Integrators find the new routes in the OpenAPI description."""
    paths = browsers["pierre"].http.get("/api/v1/openapi.json").json()["paths"]
    assert {"post", "get"} <= set(paths["/api/v1/rooms"]) | set(paths["/api/v1/rooms/{slug}"])
    assert "patch" in paths["/api/v1/rooms/{slug}"]
    assert {"put", "delete"} <= set(paths["/api/v1/rooms/{slug}/roles/{user}"])
    assert "get" in paths["/api/v1/rooms/{slug}/roles"]
    assert "get" in paths["/api/v1/me/rooms"]


def test_api_rooms_creation_setting_signed_in_refuses_guests(tmp_path: Path) -> None:
    """VISIO_ROOM_CREATION=signed_in: a guest cannot create a room."""
    server = start_server(tmp_path / "visio", room_creation="signed_in")
    try:
        response = httpx.post(f"{server.url}/api/v1/rooms", timeout=10)
        assert (response.status_code, response.json()["error"]["code"]) == (401, "not_signed_in")
    finally:
        server.stop()
