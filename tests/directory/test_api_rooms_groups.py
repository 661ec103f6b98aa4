"""Directory groups in access control, against a real server, OIDC provider and slapd."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pytest

from tests.directory.slapd import ADMIN_PASSWORD, start_slapd
from tests.oidc.provider import visio_with_provider
from tests.rooms.people import Browser
from tests.support import VISIO, RunningServer, wait_until


@pytest.fixture(scope="module")
def grouped(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[RunningServer, dict[str, Browser]]]:
    """Visio syncing the test directory, where only visio-creators may create rooms."""
    ldap = start_slapd(tmp_path_factory.mktemp("slapd"))
    try:
        with visio_with_provider(
            tmp_path_factory.mktemp("visio-groups"),
            room_creation="groups:visio-creators",
            **ldap.settings(),
        ) as (server, provider):
            synced = subprocess.run(
                [str(VISIO), "directory-sync"], env=server.env, capture_output=True, text=True
            )
            assert synced.returncode == 0, synced.stderr
            people = {u: Browser(server, provider, u) for u in ("pierre", "marie", "jean", "lucie")}
            yield server, people
            for browser in people.values():
                browser.close()
    finally:
        ldap.stop()


def test_api_rooms_groups_only_members_of_allowed_groups_create(
    grouped: tuple[RunningServer, dict[str, Browser]],
) -> None:
    """With VISIO_ROOM_CREATION=groups:visio-creators, a member creates, a non-member gets 403."""
    _, people = grouped
    assert people["pierre"].create_room()
    refused = people["jean"].http.post("/api/v1/rooms", json={})
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "forbidden")


def test_api_rooms_groups_role_lets_members_in_and_moderate(
    grouped: tuple[RunningServer, dict[str, Browser]],
) -> None:
    """A group's administrator role lets its members into a restricted room and moderate it;
    someone outside the group waits in the lobby."""
    _, people = grouped
    pierre, marie, lucie = people["pierre"], people["marie"], people["lucie"]
    slug = pierre.create_room(access="restricted")
    granted = pierre.http.put(
        f"/api/v1/rooms/{slug}/roles/group:equipe-projet", json={"role": "administrator"}
    )
    assert granted.status_code == 200, granted.text
    assert granted.json()["group"] == "equipe-projet"
    assert marie.http.get(f"/api/v1/rooms/{slug}").json()["my_role"] == "administrator"
    assert marie.http.patch(f"/api/v1/rooms/{slug}", json={"name": "Projet"}).status_code == 200
    assert lucie.http.patch(f"/api/v1/rooms/{slug}", json={"name": "x"}).status_code == 403
    roles = pierre.http.get(f"/api/v1/rooms/{slug}/roles").json()
    assert [(g["group"], g["role"]) for g in roles["group_roles"]] == [
        ("equipe-projet", "administrator")
    ]
    member = marie.socket(slug)
    stranger = lucie.socket(slug)
    try:
        assert member.join("Marie")["type"] == "joined"
        assert stranger.join("Lucie")["type"] == "lobby.waiting"
    finally:
        member.close()
        stranger.close()
    assert pierre.http.delete(f"/api/v1/rooms/{slug}/roles/group:equipe-projet").status_code == 204
    assert marie.http.get(f"/api/v1/rooms/{slug}").json()["my_role"] is None


def test_api_rooms_groups_unknown_group_is_404(
    grouped: tuple[RunningServer, dict[str, Browser]],
) -> None:
    """Only groups the directory sync knows can be given roles."""
    pierre = grouped[1]["pierre"]
    slug = pierre.create_room()
    response = pierre.http.put(f"/api/v1/rooms/{slug}/roles/group:nobody", json={"role": "member"})
    assert (response.status_code, response.json()["error"]["code"]) == (404, "group_not_found")


def test_server_keeps_running_with_bad_ldap_credentials(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """A wrong bind password is logged clearly (never the password); the server still serves."""
    ldap = start_slapd(tmp_path_factory.mktemp("slapd-bad"))
    wrong = "Wr0ng-" + ADMIN_PASSWORD
    try:
        with visio_with_provider(
            tmp_path_factory.mktemp("visio-bad-ldap"),
            **(ldap.settings() | {"ldap_bind_password": wrong}),
        ) as (server, provider):
            wait_until(
                lambda: "directory sync failed" in server.log(),
                timeout=60,
                message="no directory sync error logged",
            )
            log = server.log_path.read_text()
            assert "invalidCredentials" in log and "VISIO_LDAP_BIND_PASSWORD" in log
            assert wrong not in log
            with Browser(server, provider, None) as guest:
                assert guest.http.get("/healthz").status_code == 200
    finally:
        ldap.stop()
