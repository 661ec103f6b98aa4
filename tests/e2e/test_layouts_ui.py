"""Meeting layouts in the browser: the speaker's tile highlighted from what the server hears, the
speaker layout, pinning, screen-share focus with its filmstrip, the paged grid, the self view.

One participant's fake microphone reads aloud; the others play silence.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, Playwright, expect
from websockets.sync.client import ClientConnection, connect

from tests.e2e.browser import Participants, screenshot
from tests.e2e.voices import write_coughs, write_silence, write_speech
from tests.support import RunningServer, start_server, wait_until

DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture
def voices(playwright: Playwright, tmp_path: Path) -> Iterator[Participants]:
    silence = write_silence(tmp_path / "silence.wav")
    crowd = Participants(
        playwright,
        {
            "speaker": write_speech(tmp_path / "speaker.wav", repeat=6),
            "quiet": silence,
            "viewer": silence,
        },
    )
    yield crowd
    crowd.close()


def camera_tile(page: Page, participant_id: str) -> Locator:
    return page.locator(
        f'[data-testid="tile"][data-participant-id="{participant_id}"][data-source="camera"]'
    )


def large_tiles(page: Page) -> Locator:
    return page.get_by_test_id("layout-main").get_by_test_id("tile")


def choose_layout(page: Page, layout: str) -> None:
    page.get_by_test_id("layout-menu").click()
    page.get_by_test_id(f"layout-{layout}").click()
    expect(page.get_by_test_id("layout")).to_have_attribute("data-layout", layout)


def test_the_speaker_is_highlighted_and_shown_large_and_a_pin_wins(
    media_server: RunningServer, voices: Participants
) -> None:
    """The viewer sees the reader's tile ringed (not the silent ones'), the speaker layout shows
    the reader large, pinning someone else shows them large instead, unpinning gives the
    speaker back; the grid comes back and the self view can be hidden."""
    slug = media_server.create_room()
    speaker, quiet, viewer = voices.meeting(media_server.url, slug, "Speaker", "Quiet", "Viewer")
    page = viewer.page
    page.set_viewport_size(DESKTOP)
    speaker_id, quiet_id = speaker.participant_id, quiet.participant_id

    expect(camera_tile(page, speaker_id)).to_have_attribute("data-speaking", "true", timeout=60_000)
    expect(camera_tile(page, speaker_id)).to_have_accessible_description("Speaking")
    expect(camera_tile(page, speaker_id).get_by_test_id("tile-speaking")).to_be_visible()
    expect(camera_tile(page, quiet_id)).to_have_attribute("data-speaking", "false")
    expect(page.get_by_test_id("layout")).to_have_attribute("data-layout", "grid")
    screenshot(page, "layout-grid.png")

    choose_layout(page, "speaker")
    expect(large_tiles(page)).to_have_count(1)
    expect(large_tiles(page)).to_have_attribute("data-participant-id", speaker_id)
    filmstrip = page.get_by_test_id("filmstrip").get_by_test_id("tile")
    expect(filmstrip).to_have_count(2)
    expect(camera_tile(page, speaker_id)).to_have_attribute("data-speaking", "true", timeout=60_000)
    screenshot(page, "layout-speaker.png")

    camera_tile(page, quiet_id).get_by_test_id("tile-pin").click()
    expect(large_tiles(page)).to_have_attribute("data-participant-id", quiet_id)
    expect(camera_tile(page, quiet_id)).to_have_attribute("data-pinned", "true")

    page.get_by_test_id("toggle-participants").click()
    row_pin = page.locator(f'.person[data-participant-id="{quiet_id}"]').get_by_test_id(
        "person-pin"
    )
    expect(row_pin).to_have_attribute("aria-pressed", "true")
    row_pin.click()
    expect(large_tiles(page)).to_have_attribute("data-participant-id", speaker_id)
    page.locator(f'.person[data-participant-id="{quiet_id}"]').get_by_test_id("person-pin").click()
    expect(large_tiles(page)).to_have_attribute("data-participant-id", quiet_id)
    page.get_by_test_id("toggle-participants").click()

    choose_layout(page, "grid")
    tiles = page.get_by_test_id("layout").get_by_test_id("tile")
    expect(tiles).to_have_count(3)
    expect(tiles.first).to_have_attribute("data-participant-id", quiet_id)  # pinned: first
    page.get_by_test_id("layout-menu").click()
    page.get_by_test_id("hide-self-view").click()
    expect(tiles).to_have_count(2)
    expect(page.locator('[data-testid="tile"][data-local="true"]')).to_have_count(0)

    page.reload()
    page.get_by_test_id("name-input").fill("Viewer")
    page.get_by_test_id("join").click()
    expect(page.get_by_test_id("layout")).to_have_attribute("data-layout", "grid")
    expect(camera_tile(page, speaker_id)).to_be_visible()
    expect(page.locator('[data-testid="tile"][data-local="true"]')).to_have_count(0)


def test_a_shared_screen_is_shown_large_until_the_viewer_switches_back(
    media_server: RunningServer, voices: Participants
) -> None:
    """Screen-share focus comes by itself with the cameras in a filmstrip; the viewer may go back
    to the grid, where the screen is one tile among the others."""
    slug = media_server.create_room()
    speaker, _quiet, viewer = voices.meeting(media_server.url, slug, "Speaker", "Quiet", "Viewer")
    page = viewer.page
    page.set_viewport_size(DESKTOP)
    speaker.page.get_by_test_id("toggle-screen").click()
    viewer.wait_video_flowing(speaker.participant_id, "screen")

    expect(page.get_by_test_id("layout")).to_have_attribute("data-layout", "screen")
    expect(large_tiles(page)).to_have_attribute("data-source", "screen")
    expect(page.get_by_test_id("filmstrip").get_by_test_id("tile")).to_have_count(3)
    screenshot(page, "layout-screen.png")

    choose_layout(page, "grid")
    expect(page.get_by_test_id("layout").get_by_test_id("tile")).to_have_count(4)
    choose_layout(page, "screen")
    speaker.page.get_by_test_id("toggle-screen").click()
    expect(page.get_by_test_id("layout")).to_have_attribute("data-layout", "grid")


def listener(server: RunningServer, slug: str, name: str) -> ClientConnection:
    """Someone in the meeting without microphone or camera (a tile with their initials)."""
    ws = connect(f"{server.ws_base}/api/v1/rooms/{slug}/ws").__enter__()
    ws.send(
        json.dumps({"type": "join", "version": 1, "name": name, "audio": False, "video": False})
    )
    while json.loads(ws.recv(timeout=30))["type"] != "joined":
        pass
    return ws


def test_the_grid_pages_and_renders_only_the_page_shown(
    media_server: RunningServer, voices: Participants
) -> None:
    """Twelve people at desktop size make two pages of at most nine tiles; only the tiles of the
    page shown are in the page; a narrow window holds fewer per page."""
    slug = media_server.create_room()
    viewer = voices.join(media_server.url, slug, "Viewer")
    page = viewer.page
    page.set_viewport_size(DESKTOP)
    others = [listener(media_server, slug, f"Agent {n:02}") for n in range(1, 12)]
    try:
        tiles = page.get_by_test_id("layout").get_by_test_id("tile")
        expect(page.get_by_test_id("page-label")).to_have_text("Page 1 of 2")
        expect(tiles).to_have_count(9)
        screenshot(page, "layout-grid-paged.png")
        page.get_by_test_id("page-next").click()
        expect(page.get_by_test_id("page-label")).to_have_text("Page 2 of 2")
        expect(tiles).to_have_count(3)
        expect(page.get_by_test_id("page-next")).to_be_disabled()

        page.set_viewport_size({"width": 390, "height": 800})
        expect(page.get_by_test_id("page-label")).to_contain_text("Page ")
        # The grid lays itself out again after the resize (a busy machine takes its time): wait
        # for a page of fewer tiles, each at least 230 px wide, rather than read it at once.
        page.wait_for_function(
            """() => {
              const tiles = [...document.querySelectorAll(
                '[data-testid="layout"] [data-testid="tile"]')];
              return tiles.length >= 1 && tiles.length < 9
                && tiles.every((tile) => tile.getBoundingClientRect().width >= 230);
            }""",
            timeout=30000,
        )
        shown = tiles.count()
        assert 1 <= shown < 9
        for tile in tiles.all():
            assert (tile.bounding_box() or {"width": 0})["width"] >= 230
    finally:
        for ws in others:
            ws.close()


@pytest.fixture(scope="module")
def talk_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """`visio serve` logging at DEBUG: its log says each time Janus hears someone start."""
    server = start_server(tmp_path_factory.mktemp("visio-talk"), log_level="DEBUG")
    yield server
    server.stop()


RECORD_SPEAKING_JS = """() => {
  window.__everSpeaking = new Set(window.visio.session.speaking);
  window.visio.session.on('speaking', (ids) => ids.forEach((id) => window.__everSpeaking.add(id)));
}"""


def test_a_cough_moves_no_highlight_while_a_reader_is_highlighted(
    talk_server: RunningServer, playwright: Playwright, tmp_path: Path
) -> None:
    """One participant reads aloud, another only coughs (0.15 s of loud voice every 2 s): Janus
    hears every cough (the server log says so), yet the viewer's page is never told the cougher
    speaks and never rings their tile, while the reader is highlighted."""
    silence = write_silence(tmp_path / "silence.wav")
    crowd = Participants(
        playwright,
        {
            "reader": write_speech(tmp_path / "reader.wav", repeat=6),
            "cougher": write_coughs(tmp_path / "cougher.wav"),
            "viewer": silence,
        },
    )
    try:
        slug = talk_server.create_room()
        reader, cougher, viewer = crowd.meeting(talk_server.url, slug, "Reader", "Cougher", "Viewer")
        page = viewer.page
        page.evaluate(RECORD_SPEAKING_JS)
        reader_id, cougher_id = reader.participant_id, cougher.participant_id
        expect(camera_tile(page, reader_id)).to_have_attribute(
            "data-speaking", "true", timeout=60_000
        )
        # Coughs heard from now on, while the viewer's page records what it is told.
        coughs = f"Janus hears {cougher_id} talking"
        before = talk_server.log().count(coughs)
        wait_until(
            lambda: talk_server.log().count(coughs) >= before + 3,
            timeout=60,
            message=lambda: f"Janus heard {talk_server.log().count(coughs) - before} coughs, not 3",
        )
        ever = page.evaluate("() => [...window.__everSpeaking]")
        assert reader_id in ever
        assert cougher_id not in ever, "the viewer was told the cougher speaks"
        expect(camera_tile(page, cougher_id)).to_have_attribute("data-speaking", "false")
    finally:
        crowd.close()
