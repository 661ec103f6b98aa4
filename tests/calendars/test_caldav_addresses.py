"""The guard against SSRF: which calendar URLs are accepted, and connections it refuses."""

from __future__ import annotations

import pytest

from tests.calendars.conftest import account_at
from tests.calendars.radicale import RadicaleServer
from tests.calendars.receiver import http_receiver
from visio.calendars import CalDavClient, CalendarError, check_calendar_url, guarded_client
from visio.calendars.addresses import check_url_template, fill_template


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/cal/",
        "https://10.0.0.5/cal/",
        "https://[fd00::1]/cal/",
        "https://[::ffff:127.0.0.1]/cal/",
        "https://[64:ff9b::a00:1]/cal/",
    ],
)
def test_caldav_url_naming_a_private_address_is_refused(url: str) -> None:
    """A URL naming a non-public address is refused when saved, unless the operator allows
    private servers (a calendar server on the same network)."""
    with pytest.raises(CalendarError) as refused:
        check_calendar_url(url, allow_http=False, allow_private=False)
    assert refused.value.reason == "refused_address"
    assert "VISIO_CALDAV_ALLOW_PRIVATE" in refused.value.message
    assert check_calendar_url(url, allow_http=False, allow_private=True).startswith("https://")


@pytest.mark.parametrize(
    "url",
    [
        "https://169.254.169.254/latest/meta-data/",
        "https://[::ffff:169.254.169.254]/latest/meta-data/",
        "https://0.0.0.0/cal/",
        "https://224.0.0.1/cal/",
    ],
)
def test_caldav_url_naming_metadata_is_refused_even_with_private_allowed(url: str) -> None:
    """VISIO_CALDAV_ALLOW_PRIVATE never opens cloud metadata, unspecified or multicast."""
    with pytest.raises(CalendarError) as refused:
        check_calendar_url(url, allow_http=False, allow_private=True)
    assert refused.value.reason == "refused_address"


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://calendar.example.org/cal/", "https://"),
        ("ftp://calendar.example.org/cal/", "https://"),
        ("file:///etc/passwd", "https://"),
        ("https://alice:secret@calendar.example.org/cal/", "own fields"),
        ("https://calendar.example.org/cal/?x=1", "query"),
        ("https://calendar.example.org/cal/#top", "fragment"),
        ("https://calendar.example.org/c al/", "spaces"),
        ("https://calendar.example.org/cal/\n", "spaces"),
        ("https:///cal/", "host"),
        ("https://" + "a" * 2000 + ".org/", "longer"),
        ("calendar.example.org/cal/", "https://"),
    ],
)
def test_caldav_url_that_is_not_a_plain_https_url_is_refused(url: str, problem: str) -> None:
    """Only https URLs without credentials, query or fragment; the message says what is wrong."""
    with pytest.raises(CalendarError) as refused:
        check_calendar_url(url, allow_http=False, allow_private=False)
    assert refused.value.reason == "invalid_url"
    assert problem in refused.value.message


def test_caldav_url_public_https_is_accepted_as_a_collection() -> None:
    """A public https URL is accepted, made to end with a slash; http only when allowed."""
    for public in (
        "https://8.8.8.8/cal/",
        "https://[2a00:1450::1]/cal/",
        "https://[::ffff:8.8.8.8]/",
    ):
        assert check_calendar_url(public, allow_http=False, allow_private=False) == public
    assert (
        check_calendar_url(
            "https://calendar.example.org/dav/alice/visio", allow_http=False, allow_private=False
        )
        == "https://calendar.example.org/dav/alice/visio/"
    )
    assert (
        check_calendar_url("http://calendar.example.org/dav/", allow_http=True, allow_private=False)
        == "http://calendar.example.org/dav/"
    )


def test_caldav_url_template_fills_in_the_email_as_one_segment() -> None:
    """{email} and {user} are percent-encoded: an address cannot climb out of its folder."""
    template = "https://cal.example.org/dav/{email}/visio/"
    assert (
        fill_template(template, "alice@example.org")
        == "https://cal.example.org/dav/alice@example.org/visio/"
    )
    assert (
        fill_template(template, "../../admin@x")
        == "https://cal.example.org/dav/..%2F..%2Fadmin@x/visio/"
    )
    assert (
        fill_template("https://cal.example.org/{user}/", "a.b@x") == "https://cal.example.org/a.b/"
    )
    with pytest.raises(ValueError, match="placeholder"):
        check_url_template("https://cal.example.org/{name}/")


async def test_caldav_guard_refuses_a_host_that_resolves_to_loopback(
    radicale: RadicaleServer,
) -> None:
    """A host name is checked when the connection opens: localhost reaches nothing, even
    with a real server listening there (the request never arrives)."""
    async with guarded_client(allow_private=False, timeout=10) as http:
        client = CalDavClient(http)
        for url in (
            f"http://localhost:{radicale.port}/alice/",
            f"http://127.0.0.1:{radicale.port}/alice/",
        ):
            with pytest.raises(CalendarError) as refused:
                await client.check(account_at(url))
            assert refused.value.reason == "refused_address"
            assert "non-public address" in refused.value.message


async def test_caldav_guard_lets_the_operator_allow_private_servers(
    radicale: RadicaleServer,
) -> None:
    """With VISIO_CALDAV_ALLOW_PRIVATE the same server is reached (proof the refusal above was
    the guard, not the network)."""
    async with guarded_client(allow_private=True, timeout=10) as http:
        with pytest.raises(CalendarError) as answered:
            await CalDavClient(http).check(account_at(f"http://localhost:{radicale.port}/alice/"))
    assert answered.value.reason == "not_a_calendar"  # the server answered: a home, not a calendar


async def test_caldav_redirects_are_not_followed() -> None:
    """A redirect is reported with its target and never followed (it could point inside)."""
    with http_receiver(200) as target, http_receiver(301, location="") as redirecting:
        redirecting.location = f"{target.url}/internal/"
        async with guarded_client(allow_private=True, timeout=10) as http:
            with pytest.raises(CalendarError) as refused:
                await CalDavClient(http).check(account_at(f"{redirecting.url}/cal/"))
    assert refused.value.reason == "bad_response"
    assert f"{target.url}/internal/" in refused.value.message
    assert [hit[0] for hit in redirecting.hits] == ["PROPFIND"]
    assert target.hits == []
