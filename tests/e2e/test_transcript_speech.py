"""Meeting transcripts end to end: two people whose fake microphones read real recordings, a
moderator who starts the transcript from the meeting, a latecomer told on the pre-join screen,
each turn stored under its speaker's exact display name; then the owner reads, searches and
downloads it in the web app and over the API (exports parsed back by their own libraries).

`visio serve` runs its embedded speech worker with the packaged Whisper models (the captions
pipeline: one stream per microphone), behind a real OpenID Connect provider.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import docx
import pytest
import srt
import webvtt
from playwright.sync_api import Playwright, expect

from tests.e2e.browser import (
    CHROMIUM,
    MEDIA_ARGS,
    Participant,
    Participants,
    screenshot,
    signed_in_context,
)
from tests.e2e.test_captions_speech import EXPECTED, SPEECH, looped_with_pause
from tests.oidc.provider import TestProvider, visio_with_provider
from tests.rooms.people import Browser
from tests.speech.recordings import LIBRIVOX
from tests.support import RunningServer, wait_until
from visio.auth.sessions import SESSION_COOKIE

NAMES = {"alice": "Amélie Noël-Dupré", "bob": "Bob O'Brien 🎤"}
"""Display names with accents, an apostrophe and an emoji: each turn must carry them exactly."""


@pytest.fixture(scope="module")
def transcribing_server(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[RunningServer, TestProvider]]:
    """`visio serve` with one embedded speech worker and a real OIDC provider."""
    with visio_with_provider(
        tmp_path_factory.mktemp("visio-transcripts"), speech_embedded_workers="1", log_level="DEBUG"
    ) as (server, provider):
        wait_until(
            lambda: re.search(r"^visio_speech_workers 1", server.metrics(), re.MULTILINE),
            timeout=120,
            message=lambda: f"the embedded speech worker never connected:\n{server.log()[-3000:]}",
        )
        yield server, provider


@pytest.fixture
def speakers(playwright: Playwright, tmp_path: Path) -> Iterator[Participants]:
    voices = {
        name: looped_with_pause(LIBRIVOX / f"{file}.wav", tmp_path / f"{name}.wav")
        for name, file in SPEECH.items()
    }
    crowd = Participants(playwright, voices)
    yield crowd
    crowd.close()


def words_by_speaker(transcript: dict[str, Any]) -> dict[str, set[str]]:
    heard: dict[str, set[str]] = {}
    for turn in transcript["turns"]:
        heard.setdefault(turn["speaker"], set()).update(re.findall(r"[a-z]+", turn["text"].lower()))
    return heard


def signed_in_page(crowd: Participants, server: RunningServer, owner: Browser) -> Participant:
    """A Chromium carrying the owner's session (the cookie their sign-in set)."""
    browser = crowd._playwright.chromium.launch(executable_path=CHROMIUM, args=MEDIA_ARGS)
    context = signed_in_context(
        browser,
        server.url,
        owner.http.cookies[SESSION_COOKIE],
        viewport={"width": 1100, "height": 900},
    )
    page = context.new_page()
    person = Participant("owner", browser, page)
    crowd.people.append(person)
    return person


def join_as(
    crowd: Participants,
    server: RunningServer,
    slug: str,
    who: str,
    before_joining: Callable[[Participant], None] | None = None,
) -> Participant:
    """``who``'s Chromium (their fake microphone reads their recording) joins under their
    display name from :data:`NAMES`."""
    person = crowd.open(f"{server.url}/{slug}", who)
    person.page.get_by_test_id("name-input").fill(NAMES[who])
    if before_joining is not None:
        before_joining(person)
    person.page.get_by_test_id("join").click()
    person.page.wait_for_function("() => !!window.visio?.session?.participantId")
    return person


def told_on_pre_join(person: Participant) -> None:
    expect(person.page.get_by_test_id("prejoin-transcript-notice")).to_be_visible()
    screenshot(person.page, "transcript-prejoin.png")


def test_transcript_names_every_speaker_and_the_owner_finds_it(
    transcribing_server: tuple[RunningServer, TestProvider], speakers: Participants
) -> None:
    """Amélie starts the transcript and an audio recording; Bob, arriving later, is told on the
    pre-join screen; each one's words are stored under their exact name; stopped, the owner
    reads it in the web app beside the recording (a click on a turn moves the player to that
    moment), searches it, and downloads it as VTT, SRT, DOCX and JSON and the recording."""
    server, provider = transcribing_server
    with Browser(server, provider, "pierre") as owner:
        slug = owner.create_room(name="Comité de pilotage")
        alice = join_as(speakers, server, slug, "alice")
        alice.page.get_by_test_id("transcript-start").click()
        expect(alice.page.get_by_test_id("transcript-indicator")).to_be_visible()
        alice.page.get_by_test_id("recording-menu").click()
        alice.page.get_by_test_id("recording-start-audio").click()
        expect(alice.page.get_by_test_id("recording-indicator")).to_be_visible()

        bob = join_as(speakers, server, slug, "bob", before_joining=told_on_pre_join)
        expect(bob.page.get_by_test_id("transcript-indicator")).to_be_visible()
        expect(bob.page.get_by_test_id("transcript-start")).to_have_count(0)
        screenshot(alice.page, "transcript-meeting.png")

        def transcript() -> dict[str, Any]:
            listed = owner.http.get(f"/api/v1/rooms/{slug}/transcripts").json()["transcripts"]
            return dict(owner.http.get(f"/api/v1/transcripts/{listed[0]['id']}").json())

        heard: dict[str, set[str]] = {}

        def both_transcribed() -> bool:
            heard.clear()
            heard.update(words_by_speaker(transcript()))
            return all(
                len(heard.get(NAMES[who], set()) & EXPECTED[who]) >= 3 for who in ("alice", "bob")
            )

        wait_until(both_transcribed, timeout=240, message=lambda: f"turns so far: {heard}")
        alice.page.get_by_test_id("transcript-stop").click()
        expect(bob.page.get_by_test_id("transcript-indicator")).to_have_count(0)
        alice.page.get_by_test_id("recording-stop").click()
        expect(bob.page.get_by_test_id("recording-indicator")).to_have_count(0)
        done = wait_until(
            lambda: (found := transcript())["status"] == "complete" and found,
            timeout=60,
            message="the transcript never completed",
        )
        assert set(words_by_speaker(done)) <= set(NAMES.values()), "a turn under another name"
        assert not heard[NAMES["bob"]] & {"dashwood", "prudently"}, "Amélie's words under Bob"
        assert not heard[NAMES["alice"]] & {"amiable", "respectable"}, "Bob's words under Amélie"
        turns = done["turns"]
        assert turns == sorted(turns, key=lambda t: t["started_at"])
        assert all(t["started_at"] <= t["ended_at"] for t in turns)
        assert all(t["user_id"] is None for t in turns), "guests have no user id"

        def export(format: str) -> Any:
            response = owner.http.get(f"/api/v1/transcripts/{done['id']}/export?format={format}")
            assert response.status_code == 200, response.text
            return response

        cues = webvtt.from_string(export("vtt").text)
        assert {c.voice for c in cues} == {NAMES["alice"], NAMES["bob"]}
        subtitles = list(srt.parse(export("srt").text))
        assert len(subtitles) == len(turns)
        assert {s.content.split(": ", 1)[0] for s in subtitles} == set(NAMES.values())
        paragraphs = [p.text for p in docx.Document(io.BytesIO(export("docx").content)).paragraphs]
        assert sum(p.startswith(NAMES["bob"]) for p in paragraphs) == sum(
            t["speaker"] == NAMES["bob"] for t in turns
        )
        assert [t["speaker"] for t in export("json").json()["turns"]] == [
            t["speaker"] for t in turns
        ]

        # Words each one was heard saying (the recogniser's, so the test does not depend on
        # which words a loop of the recording came out with).
        alice_word = sorted(heard[NAMES["alice"]] & EXPECTED["alice"])[0]
        bob_word = sorted(heard[NAMES["bob"]] & EXPECTED["bob"])[0]
        found = owner.http.get("/api/v1/transcripts/search", params={"q": alice_word}).json()
        assert {r["speaker"] for r in found["results"]} == {NAMES["alice"]}

        # The audio recording of the same meeting, processed meanwhile.
        recording = wait_until(
            lambda: next(
                (
                    r
                    for r in owner.http.get(f"/api/v1/rooms/{slug}/recordings").json()
                    if r["status"] in ("ready", "failed")
                ),
                None,
            ),
            timeout=300,
            message="the recording was never processed",
        )
        assert (recording["status"], recording["media_type"]) == ("ready", "audio/ogg")

        viewer = signed_in_page(speakers, server, owner)
        page = viewer.page
        page.goto(f"{server.url}/rooms")
        page.get_by_test_id("room-records").click()
        listed = page.get_by_test_id("recording-row")
        expect(listed).to_have_attribute("data-status", "ready")
        link = listed.get_by_test_id("recording-download")
        expect(link).to_have_accessible_name(re.compile("^Download the recording of "))
        saved = owner.http.get(str(link.get_attribute("href")))
        assert saved.status_code == 200, saved.text
        assert saved.headers["content-type"] == "audio/ogg"
        assert saved.headers["content-disposition"].startswith("attachment;")
        assert len(saved.content) == recording["size_bytes"]

        page.get_by_test_id("open-transcript").click()
        expect(page.get_by_test_id("turn")).to_have_count(len(turns))
        player = page.get_by_test_id("recording-player")
        expect(player).to_have_attribute("src", f"/api/v1/recordings/{recording['id']}/media")
        expect(player).to_have_accessible_name("Recording of the meeting")
        player.evaluate(
            "p => new Promise((ok, fail) => { if (p.readyState >= 1) ok(null);"
            " p.addEventListener('loadedmetadata', ok); p.addEventListener('error', fail); })"
        )
        assert player.evaluate("p => p.error === null && p.readyState >= 1")
        assert abs(player.evaluate("p => p.duration") - recording["duration_s"]) < 1.0
        # The last turn was said well after the recording started: the player goes there.
        last = turns[-1]
        at = (
            datetime.fromisoformat(last["started_at"])
            - datetime.fromisoformat(recording["started_at"])
        ).total_seconds()
        assert 1.0 < at < recording["duration_s"], (at, recording)
        page.get_by_test_id("turn").last.click()
        expect(page.get_by_test_id("turn").last).to_have_attribute("aria-current", "true")
        page.wait_for_function(
            "([at]) => { const p = document.querySelector('[data-testid=recording-player]');"
            " return !p.seeking && p.currentTime >= at - 0.5 && p.currentTime <= at + 3; }",
            arg=[at],
        )
        position = player.evaluate("p => p.currentTime")
        assert player.evaluate("p => p.error === null && p.readyState >= 1")
        screenshot(page, "transcript-recording.png", full_page=True)
        assert at - 0.5 <= position <= at + 3, (position, at)
        first = page.get_by_test_id("turn-speaker").first
        expect(first).to_have_text(turns[0]["speaker"])
        search = page.get_by_test_id("transcript-search")
        search.focus()
        page.keyboard.type(bob_word)
        expect(page.locator(".turn mark").first).to_have_text(re.compile(bob_word, re.I))
        screenshot(page, "transcript.png", full_page=True)
        page.set_viewport_size({"width": 390, "height": 844})
        screenshot(page, "transcript-phone.png", full_page=True)
        page.set_viewport_size({"width": 1100, "height": 900})

        page.goto(f"{server.url}/transcripts")
        page.get_by_test_id("search-query").fill(alice_word.capitalize())
        page.keyboard.press("Enter")
        hit = page.get_by_test_id("search-hit").first
        expect(hit.locator("mark").first).to_have_text(re.compile(alice_word, re.I))
        screenshot(page, "transcript-search.png", full_page=True)
        hit.focus()
        page.keyboard.press("Enter")
        expect(page.get_by_test_id("transcript-view")).to_be_visible()
        focused = page.evaluate("() => document.activeElement?.dataset?.turnId")
        assert focused == str(found["results"][0]["turn_id"]), "landed on the turn that matched"
