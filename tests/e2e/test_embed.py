"""Visio inside another site's page (issue 13): the example page, served from an origin listed in
VISIO_FRAME_ANCESTORS, joins under a name, mutes and leaves through the embedding API and hears
of the others; forged messages from another origin change nothing; a site not in the list cannot
frame a meeting at all."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import ConsoleMessage, Frame, Locator, Page, expect

from tests.e2e.browser import Participant, Participants, screenshot
from tests.e2e.embedder import Site, reserve_site, serve_site
from tests.e2e.firefox import Firefox
from tests.support import RunningServer, start_server

NAME = "Zoë Ångström"


@pytest.fixture(scope="module")
def sites() -> tuple[Site, Site]:
    """The intranet (listed in VISIO_FRAME_ANCESTORS) and another site (not listed)."""
    return reserve_site(), reserve_site()


@pytest.fixture(scope="module")
def embed_server(
    tmp_path_factory: pytest.TempPathFactory, sites: tuple[Site, Site]
) -> Iterator[RunningServer]:
    intranet, _ = sites
    server = start_server(tmp_path_factory.mktemp("visio-embed"), frame_ancestors=intranet.origin)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def intranet(sites: tuple[Site, Site], embed_server: RunningServer) -> Iterator[Site]:
    with serve_site(sites[0], embed_server.url) as site:
        yield site


@pytest.fixture(scope="module")
def other_site(sites: tuple[Site, Site], embed_server: RunningServer) -> Iterator[Site]:
    with serve_site(sites[1], embed_server.url) as site:
        yield site


def console_line(pattern: str) -> Callable[[ConsoleMessage], bool]:
    """Matches a console message of the page or of one of its frames."""
    return lambda message: re.search(pattern, message.text) is not None


def open_example(participants: Participants, site: Site, person: str) -> Page:
    return participants.open(site.example_url, person).page


def join_from_example(page: Page, meeting_url: str, name: str) -> None:
    page.get_by_label("Meeting link").fill(meeting_url)
    page.get_by_label("Your name").fill(name)
    page.get_by_role("button", name="Join the meeting").click()


def events(page: Page, kind: str) -> Locator:
    return page.locator(f'#events li[data-event="{kind}"]')


def visio_frame(page: Page, visio_url: str) -> Frame:
    """The meeting's frame (call once the page has heard from it: `page.frames` is what
    Playwright has seen so far)."""
    frame = next((f for f in page.frames if f.url.startswith(visio_url)), None)
    assert frame is not None, [f.url for f in page.frames]
    return frame


def tile_of(person: Participant, participant_id: str) -> Locator:
    return person.page.locator(f'[data-testid="tile"][data-participant-id="{participant_id}"]')


def test_embed_api_from_a_listed_origin_joins_mutes_and_leaves(
    embed_server: RunningServer, intranet: Site, other_site: Site, participants: Participants
) -> None:
    """From the intranet's example page, Zoë joins under her name without the pre-join screen
    and gets `joined`; Bob arrives and she gets `participantJoined`; messages forged by another
    site's frame (a command to the meeting, an event to the page) are ignored and logged once;
    muting and the camera reach Bob; leaving sends `left` and Bob sees her go."""
    slug = embed_server.create_room()
    page = open_example(participants, intranet, "Alice")
    join_from_example(page, f"{embed_server.url}/{slug}", NAME)

    expect(events(page, "ready")).to_have_count(1)
    expect(events(page, "joined")).to_have_count(1)
    frame = visio_frame(page, embed_server.url)
    zoe_id = str(frame.evaluate("() => window.visio.session.participantId"))
    expect(events(page, "joined")).to_contain_text(f'"participantId":"{zoe_id}"')
    assert frame.evaluate("() => window.visio.session.self.name") == NAME

    bob = participants.join(embed_server.url, slug, "Bob")
    expect(events(page, "participantJoined")).to_contain_text(
        f'"id":"{bob.participant_id}","displayName":"Bob"'
    )
    bob.wait_for_remote_names({NAME})
    expect(tile_of(bob, zoe_id).first).to_have_attribute("data-audio", "on")

    # Another site's frame inside the intranet page: it tells the meeting to mute and leave, and
    # tells the page that the meeting ended. Neither listens to it; each says so once.
    page.evaluate(
        "(url) => new Promise((loaded) => { const f = document.createElement('iframe');"
        " f.src = url; f.title = 'forger'; f.onload = loaded; document.body.append(f); })",
        other_site.forger_url,
    )
    forger = page.frame(url=other_site.forger_url)
    assert forger is not None, [f.url for f in page.frames]
    ignored = rf"ignored a message from {re.escape(other_site.origin)}"
    with (
        page.expect_console_message(console_line(rf"^visio embed: {ignored}")) as by_visio,
        page.expect_console_message(console_line(rf"^VisioMeeting: {ignored}")) as by_library,
    ):
        forger.evaluate(
            """() => {
              const tag = {visio: 'embed', version: 1};
              for (let i = 0; i < parent.frames.length; i++) {
                parent.frames[i].postMessage({...tag, type: 'setAudioMuted', muted: true}, '*');
                parent.frames[i].postMessage({...tag, type: 'leave'}, '*');
              }
              parent.postMessage({...tag, type: 'ended'}, '*');
            }"""
        )
    assert by_visio.value.type == "warning" and by_library.value.type == "warning"
    expect(events(page, "ended")).to_have_count(0)
    expect(events(page, "audioMutedChanged")).to_have_count(0)
    assert frame.evaluate("() => window.visio.session.status") != "left"
    assert frame.evaluate("() => window.visio.session.localState.audio") is True
    expect(tile_of(bob, zoe_id).first).to_have_attribute("data-audio", "on")

    page.get_by_role("button", name="Mute microphone").click()
    expect(events(page, "audioMutedChanged")).to_have_text(['audioMutedChanged {"muted":true}'])
    expect(tile_of(bob, zoe_id).first).to_have_attribute("data-audio", "off")
    page.get_by_role("button", name="Turn camera off").click()
    expect(events(page, "videoMutedChanged")).to_have_text(['videoMutedChanged {"muted":true}'])
    expect(tile_of(bob, zoe_id).first).to_have_attribute("data-video", "off")
    page.evaluate("() => document.querySelector('iframe[title=forger]').remove()")
    screenshot(page, "embed-example.png")

    page.get_by_role("button", name="Leave").click()
    expect(events(page, "left")).to_have_count(1)
    expect(tile_of(bob, zoe_id)).to_have_count(0)
    room = httpx.get(f"{embed_server.url}/api/v1/rooms/{slug}", timeout=10).json()
    assert room["participant_count"] == 1


def test_embed_join_without_skipping_fills_in_the_pre_join_form(
    embed_server: RunningServer, intranet: Site, participants: Participants
) -> None:
    """Without `skipPreJoin` the meeting shows its pre-join screen with the page's name filled in
    and the "Open in a new tab" note, and joins when the person clicks; a name with a bidi
    override and a second join are refused with their error codes."""
    slug = embed_server.create_room()
    page = open_example(participants, intranet, "Alice")
    page.get_by_label("Join without the pre-join screen").uncheck()
    join_from_example(page, f"{embed_server.url}/{slug}", "Camille Martin")

    frame = page.frame_locator('iframe[title="Visio meeting"]')
    expect(frame.get_by_test_id("name-input")).to_have_value("Camille Martin")
    note = frame.get_by_test_id("embed-note")
    expect(note).to_contain_text("signing in may not work")
    new_tab = note.get_by_role("link", name="Open in a new tab")
    expect(new_tab).to_have_attribute("href", f"/{slug}")
    expect(new_tab).to_have_attribute("target", "_blank")
    expect(events(page, "joined")).to_have_count(0)
    expect(frame.locator(".preview video")).to_be_visible()
    note.scroll_into_view_if_needed()
    screenshot(page, "embed-prejoin.png")

    page.evaluate("() => meeting.join('Bob\u202egnp.exe')")
    expect(events(page, "error")).to_contain_text('"code":"invalid_name"')
    expect(frame.get_by_test_id("name-input")).to_have_value("Camille Martin")

    frame.get_by_test_id("join").click()
    expect(events(page, "joined")).to_have_count(1)
    page.evaluate("() => meeting.join('Camille Martin', {skipPreJoin: true})")
    expect(events(page, "error").last).to_contain_text('"code":"already_joined"')
    expect(events(page, "joined")).to_have_count(1)


def test_embed_from_an_origin_not_listed_is_refused(
    embed_server: RunningServer, other_site: Site, participants: Participants
) -> None:
    """A site not in VISIO_FRAME_ANCESTORS gets no meeting: the browser refuses to frame Visio
    (Chromium reports the frame-ancestors violation), the library never hears `ready` and says
    `not_ready`, and nobody joins the room."""
    slug = embed_server.create_room()
    page = open_example(participants, other_site, "Carol")
    with page.expect_console_message(console_line(r"frame-ancestors"), timeout=60_000) as refusal:
        join_from_example(page, f"{embed_server.url}/{slug}", "Carol")

    violation = refusal.value.text
    assert other_site.origin not in violation.split("frame-ancestors", 1)[1], violation
    expect(events(page, "error")).to_contain_text('"code":"not_ready"')
    expect(events(page, "ready")).to_have_count(0)
    expect(events(page, "joined")).to_have_count(0)
    blocked = [f for f in page.frames if f is not page.main_frame]
    assert blocked, "the example page holds no frame"
    assert all(not f.url.startswith(embed_server.url) for f in blocked), [f.url for f in blocked]
    room = httpx.get(f"{embed_server.url}/api/v1/rooms/{slug}", timeout=10).json()
    assert room["participant_count"] == 0


def test_embed_library_and_bootstrap_are_served(
    embed_server: RunningServer, intranet: Site, tmp_path: Path
) -> None:
    """/embed/visio-embed.js is served as JavaScript, and the app's page lists the intranet."""
    script = httpx.get(f"{embed_server.url}/embed/visio-embed.js", timeout=10)
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert "VisioMeeting" in script.text
    page = httpx.get(f"{embed_server.url}/abc-defg-hij", timeout=10)
    assert f'<meta name="visio-embed-origins" content="{intranet.origin}" />' in page.text
    assert f"frame-ancestors {intranet.origin}" in page.headers["content-security-policy"]
    assert "x-frame-options" not in page.headers


def test_embed_api_in_firefox_joins_mutes_and_leaves(
    embed_server: RunningServer, intranet: Site
) -> None:
    """The same API in Debian's Firefox (driven over WebDriver BiDi, tests/e2e/firefox.py):
    from the intranet's example page the meeting joins under the page's name (`ready`,
    `joined`), mutes (`audioMutedChanged`) and leaves (`left`), and the room sees her come
    and go."""
    slug = embed_server.create_room()

    def count() -> int:
        room = httpx.get(f"{embed_server.url}/api/v1/rooms/{slug}", timeout=10).json()
        return int(room["participant_count"])

    firefox = Firefox()
    try:
        firefox.goto(intranet.example_url)
        assert "Firefox/" in firefox.evaluate("navigator.userAgent")
        firefox.evaluate(
            f"""(() => {{
              document.querySelector('#link').value = {json.dumps(f"{embed_server.url}/{slug}")};
              document.querySelector('#name').value = {json.dumps(NAME)};
              document.querySelector('#join').click();
            }})()"""
        )

        def shown(kind: str) -> str:
            return (
                "Array.from(document.querySelectorAll('#events li[data-event=\"" + kind + "\"]'))"
                ".map((item) => item.textContent).join('\\n')"
            )

        def log() -> str:
            return str(firefox.evaluate("document.querySelector('#events').innerText"))

        firefox.wait_for(shown("ready"), 60, log)
        joined = firefox.wait_for(shown("joined"), 60, log)
        assert '"participantId":"' in joined
        assert count() == 1
        firefox.wait_for("!document.querySelector('#mute').disabled", 30, log)
        firefox.evaluate("document.querySelector('#mute').click()")
        muted = firefox.wait_for(shown("audioMutedChanged"), 30, log)
        assert muted == 'audioMutedChanged {"muted":true}'
        firefox.evaluate("document.querySelector('#leave').click()")
        firefox.wait_for(shown("left"), 30, log)
        deadline = time.monotonic() + 30
        while count() != 0:
            assert time.monotonic() < deadline, "Zoë is still in the room"
            time.sleep(0.1)
    finally:
        firefox.close()
