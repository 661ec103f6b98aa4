"""The "My rooms" page (/rooms): create a named room, give a role, invite and revoke, in a browser."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import Participants
from tests.oidc.provider import TestProvider, visio_with_provider
from tests.rooms.people import Browser
from tests.support import RunningServer

SCREENSHOTS = Path("test-artifacts") / "my-rooms"
MARIE = "marie.curie@recherche.gouv.fr"


@pytest.fixture(scope="module")
def rooms_server(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[RunningServer, TestProvider]]:
    with visio_with_provider(tmp_path_factory.mktemp("visio-my-rooms")) as pair:
        yield pair


def test_my_rooms_create_give_a_role_invite_and_revoke(
    participants: Participants, rooms_server: tuple[RunningServer, TestProvider]
) -> None:
    server, provider = rooms_server
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    # A role only goes to someone who has signed in once: Marie does, through the API.
    Browser(server, provider, "marie").close()

    person = participants.open(f"{server.url}/rooms", "pierre")
    page = person.page
    page.set_viewport_size({"width": 360, "height": 760})

    # A guest is asked to sign in, and comes back to /rooms.
    expect(page.get_by_test_id("my-rooms")).to_contain_text(
        re.compile(r"Sign in to see your rooms|Connectez-vous pour voir vos salles")
    )
    page.screenshot(path=str(SCREENSHOTS / "1-guest.png"))
    page.get_by_test_id("login-proconnect").click()
    page.wait_for_url(f"{provider.issuer}/interaction/**")
    page.locator("#login").fill("pierre")
    page.locator("#submit").click()
    page.wait_for_url(f"{server.url}/rooms")
    expect(page.get_by_test_id("account-name")).to_have_text("Pierre Dupont")

    # The account menu links here too.
    page.goto(f"{server.url}/")
    page.get_by_test_id("account-menu").click()
    page.get_by_role("link", name=re.compile(r"^(My rooms|Mes salles)$")).click()
    page.wait_for_url(f"{server.url}/rooms")

    # Create a restricted room named "Comité": it is listed with the role owner.
    page.get_by_test_id("create-room-name").fill("Comité")
    page.get_by_test_id("create-room-access").select_option("restricted")
    page.get_by_test_id("create-room-submit").click()
    row = page.get_by_test_id("room-row").filter(has_text="Comité")
    expect(row).to_have_count(1)
    expect(row.get_by_test_id("room-role")).to_have_attribute("data-role", "owner")
    expect(row.get_by_test_id("room-access")).to_have_attribute("data-access", "restricted")
    slug = row.get_attribute("data-slug")
    assert slug and re.fullmatch(r"[a-z]{3}-[a-z]{4}-[a-z]{3}", slug)
    expect(row.get_by_test_id("room-join")).to_have_attribute("href", f"/{slug}")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    # Settings: a role for someone who never signed in is refused with a clear message.
    page.get_by_test_id(f"room-settings-{slug}").click()
    settings = row.get_by_role("region")
    expect(settings.get_by_test_id("room-name-input")).to_have_value("Comité")
    settings.get_by_test_id("role-email").fill("nobody@example.gouv.fr")
    settings.get_by_test_id("role-add").click()
    expect(settings.get_by_role("alert")).to_contain_text(
        re.compile(r"never signed in to Visio|jamais connectée à Visio")
    )

    # Marie gets a role.
    settings.get_by_test_id("role-email").fill(MARIE)
    settings.get_by_test_id("role-select").select_option("administrator")
    settings.get_by_test_id("role-add").click()
    marie = settings.locator(f'[data-testid="role-row"][data-email="{MARIE}"]')
    expect(marie).to_be_visible()
    expect(marie.get_by_test_id("role-row-select")).to_have_value("administrator")
    expect(settings.get_by_role("alert")).to_have_count(0)

    # An invitation: its link is shown once, then it is revoked.
    settings.get_by_test_id("invite-label").fill("Intervenants")
    settings.get_by_test_id("invite-create").click()
    link = settings.get_by_test_id("invite-link")
    expect(link).to_have_value(re.compile(rf"/{slug}\?invitation=vi_"))
    expect(settings.get_by_test_id("invite-row")).to_have_count(1)
    expect(settings.get_by_test_id("invite-row")).to_contain_text("Intervenants")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(SCREENSHOTS / "2-settings-360.png"), full_page=True)
    settings.get_by_test_id("invite-revoke").click()
    expect(settings.get_by_test_id("invite-row")).to_have_count(0)
    expect(link).to_have_count(0)

    # The server agrees.
    with Browser(server, provider, "pierre") as api:
        roles = api.http.get(f"/api/v1/rooms/{slug}/roles").json()["roles"]
        assert {(r["email"], r["role"]) for r in roles} == {
            ("pierre.dupont@interieur.gouv.fr", "owner"),
            (MARIE, "administrator"),
        }
        invitations = api.http.get(f"/api/v1/rooms/{slug}/invitations").json()["invitations"]
        assert [i["revoked"] for i in invitations] == [True]

    # Rename and open up the room.
    settings.get_by_test_id("room-name-input").fill("Comité de pilotage")
    settings.get_by_test_id("room-access-select").select_option("trusted")
    settings.get_by_test_id("room-save").click()
    expect(row.get_by_test_id("room-name")).to_have_text("Comité de pilotage")
    expect(row.get_by_test_id("room-access")).to_have_attribute("data-access", "trusted")

    # Marie is removed from a meeting; the owner sees it here and lets her back.
    expect(settings.get_by_test_id("removal-row")).to_have_count(0)
    with Browser(server, provider, "pierre") as owner, Browser(server, provider, "marie") as admin:
        owner_socket, admin_socket = owner.socket(slug), admin.socket(slug)
        assert owner_socket.join("Pierre")["type"] == "joined"
        marie_id = admin_socket.join("Marie C.")["participant"]["id"]
        owner_socket.send(type="moderate", action="remove", participant_id=marie_id)
        assert admin_socket.expect("error")["code"] == "removed"
        owner_socket.close()
        admin_socket.close()
    page.get_by_test_id(f"room-settings-{slug}").click()
    page.get_by_test_id(f"room-settings-{slug}").click()
    removal = row.get_by_test_id("removal-row")
    expect(removal).to_have_count(1)
    expect(removal).to_contain_text("Marie C.")
    page.screenshot(path=str(SCREENSHOTS / "3-removals-360.png"), full_page=True)
    removal.get_by_test_id("removal-undo").click()
    expect(row.get_by_test_id("removal-row")).to_have_count(0)
    with Browser(server, provider, "pierre") as api:
        assert api.http.get(f"/api/v1/rooms/{slug}/removals").json()["removals"] == []
