"""Invitee suggestions over REST, from a real LDAP directory (slapd) synced by a real server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.directory.slapd import PEOPLE, LdapServer, start_slapd
from tests.oidc.provider import TestProvider, visio_with_provider
from tests.rooms.people import Browser
from tests.support import RunningServer, wait_until


@pytest.fixture(scope="module")
def visio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningServer, TestProvider]]:
    ldap: LdapServer = start_slapd(tmp_path_factory.mktemp("slapd"))
    try:
        with visio_with_provider(
            tmp_path_factory.mktemp("visio-people"), **ldap.settings()
        ) as pair:
            wait_until(lambda: "directory sync:" in pair[0].log(), 60, "no directory sync")
            yield pair
    finally:
        ldap.stop()


def test_directory_people_suggestions(visio: tuple[RunningServer, TestProvider]) -> None:
    """Signed-in people get suggestions by name or e-mail prefix (at least two characters, ten
    at most); guests get none; the 61st search in a minute is refused."""
    server, provider = visio
    with Browser(server, provider, "pierre") as pierre, Browser(server, provider, None) as guest:
        found = pierre.http.get("/api/v1/directory/people", params={"q": "mc"})
        assert found.status_code == 200, found.text
        assert found.json()["people"] == [{"email": PEOPLE["mcurie"], "name": "mcurie"}]
        by_mail = pierre.http.get("/api/v1/directory/people", params={"q": "JEAN.MO"}).json()
        assert [p["email"] for p in by_mail["people"]] == [PEOPLE["jmoulin"]]
        assert pierre.http.get("/api/v1/directory/people", params={"q": "%%"}).json() == {
            "people": []
        }
        short = pierre.http.get("/api/v1/directory/people", params={"q": "m"})
        assert short.status_code == 422 and short.json()["error"]["code"] == "query_too_short"
        assert pierre.http.get("/api/v1/directory/people", params={"q": "m\u202ec"}).status_code == 422
        assert guest.http.get("/api/v1/directory/people", params={"q": "mc"}).status_code == 401
        codes = []
        while 429 not in codes and len(codes) < 300:  # 60 at once, then one a second
            codes.append(
                pierre.http.get("/api/v1/directory/people", params={"q": "zz"}).status_code
            )
        assert codes[-1] == 429 and set(codes[:-1]) == {200} and len(codes) > 55
