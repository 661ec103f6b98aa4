"""Subtitles in the browser: the moderator turns them on, everyone sees them under the speaker's name."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from tests.captions.protocol_worker import ProtocolWorker, ReceivedStream
from tests.e2e.browser import Participants
from tests.support import RunningServer, start_server, wait_until

SECRET = "worker-secret-for-ui-tests-0123456789"


@pytest.fixture(scope="module")
def speech_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    server = start_server(tmp_path_factory.mktemp("visio-captions-ui"), speech_worker_secret=SECRET)
    yield server
    server.stop()


@pytest.fixture
def worker(speech_server: RunningServer) -> Iterator[ProtocolWorker]:
    speech_worker = ProtocolWorker(f"{speech_server.ws_base}/api/v1/speech/workers/ws", SECRET)
    yield speech_worker
    speech_worker.close()


def test_moderator_turns_subtitles_on_and_everyone_sees_them_under_the_speakers_name(
    speech_server: RunningServer, participants: Participants, worker: ProtocolWorker
) -> None:
    """On in English from Alice's panel; Bob's words show under his name, partial then final, and
    land in the history; Bob hides them for himself only; Alice turns them off for everyone."""
    slug = speech_server.create_room()
    alice = participants.join(speech_server.url, slug, "Alice")
    bob = participants.join(speech_server.url, slug, "Bob")
    alice.wait_for_remote_names({"Bob"})
    alice.page.wait_for_function("() => window.visio.session.self?.moderator === true")
    bob_id = bob.participant_id

    bob.page.get_by_test_id("toggle-captions-panel").click()
    expect(bob.page.get_by_test_id("captions-log")).to_have_attribute("role", "log")
    expect(bob.page.get_by_test_id("captions-moderator-only")).to_be_visible()
    expect(bob.page.get_by_test_id("captions-on")).to_have_count(0)
    expect(bob.page.get_by_test_id("captions-language")).to_have_count(0)

    alice.page.get_by_test_id("toggle-captions-panel").click()
    alice.page.get_by_test_id("captions-language").select_option("en")
    alice.page.get_by_test_id("captions-on").click()
    for person in (alice, bob):
        expect(person.page.get_by_test_id("captions-indicator")).to_contain_text("English")
        expect(person.page.get_by_test_id("toggle-captions")).to_have_attribute(
            "aria-pressed", "true"
        )
    expect(alice.page.get_by_test_id("captions-off")).to_be_visible()

    streams = worker.wait_for_streams(2)
    assert {s.language for s in streams} == {"en"}
    bob_stream = next(s.stream_id for s in streams if bob_id in s.stream_id)

    worker.send_caption(bob_stream, "hello every", "partial")
    partial = alice.page.locator(
        f'[data-testid="caption-line"][data-participant-id="{bob_id}"][data-kind="partial"]'
    )
    expect(partial).to_contain_text("hello every")
    expect(partial.get_by_test_id("caption-speaker")).to_have_text("Bob")

    worker.send_caption(bob_stream, "Hello everyone.", "final")
    final = alice.page.locator(
        f'[data-testid="captions-live"] [data-testid="caption-line"]'
        f'[data-participant-id="{bob_id}"][data-kind="final"]'
    )
    expect(final).to_contain_text("Hello everyone.")
    expect(final.get_by_test_id("caption-speaker")).to_have_text("Bob")
    expect(partial).to_have_count(0)
    log = alice.page.get_by_test_id("captions-log")
    expect(log).to_have_attribute("role", "log")
    expect(log).to_contain_text("Bob")
    expect(log).to_contain_text("Hello everyone.")
    expect(bob.page.get_by_test_id("captions-live")).to_contain_text("Hello everyone.")

    bob.page.get_by_test_id("toggle-captions").click()
    expect(bob.page.get_by_test_id("toggle-captions")).to_have_attribute("aria-pressed", "false")
    expect(bob.page.get_by_test_id("captions-live")).to_have_count(0)
    assert '"visible":false' in bob.page.evaluate("() => localStorage.getItem('visio.captions')")
    worker.send_caption(bob_stream, "Can you all see this?", "final")
    expect(alice.page.get_by_test_id("captions-live")).to_contain_text("Can you all see this?")
    expect(bob.page.get_by_test_id("captions-log")).to_contain_text("Can you all see this?")
    expect(bob.page.get_by_test_id("captions-live")).to_have_count(0)
    expect(bob.page.get_by_test_id("captions-indicator")).to_be_visible()

    alice.page.get_by_test_id("captions-off").click()
    for person in (alice, bob):
        expect(person.page.get_by_test_id("captions-indicator")).to_have_count(0)
    expect(alice.page.get_by_test_id("captions-live")).to_have_count(0)
    expect(alice.page.get_by_test_id("captions-on")).to_be_visible()


def test_subtitle_text_size_is_adjustable_and_remembered(
    speech_server: RunningServer, participants: Participants
) -> None:
    """A+ and A- change the subtitle text size, and the choice survives a reload."""
    slug = speech_server.create_room()
    person = participants.join(speech_server.url, slug, "Alice")
    page = person.page
    page.get_by_test_id("toggle-captions-panel").click()
    log = page.get_by_test_id("captions-log")
    size = "el => parseFloat(getComputedStyle(el).fontSize)"
    normal = log.evaluate(size)
    page.get_by_test_id("captions-text-larger").click()
    page.get_by_test_id("captions-text-larger").click()
    page.get_by_test_id("captions-text-smaller").click()
    larger = log.evaluate(size)
    assert larger > normal

    page.reload()
    page.get_by_test_id("name-input").fill("Alice")
    page.get_by_test_id("join").click()
    page.get_by_test_id("toggle-captions-panel").click()
    assert page.get_by_test_id("captions-log").evaluate(size) == larger


def both_streams(worker: ProtocolWorker, translate: bool) -> list[ReceivedStream]:
    """Alice's and Bob's streams, once both are active with that ``translate`` (else [])."""
    active = worker.active_streams()
    return active if len(active) == 2 and all(s.translate is translate for s in active) else []


def test_a_viewer_reads_the_subtitles_in_english_with_the_original_at_hand(
    speech_server: RunningServer, participants: Participants, worker: ProtocolWorker
) -> None:
    """Bob ticks "Show in English": the streams restart with translate; a French final shows in
    English over his video and in his history (original beside it), in French for Alice."""
    slug = speech_server.create_room()
    alice = participants.join(speech_server.url, slug, "Alice")
    bob = participants.join(speech_server.url, slug, "Bob")
    alice.wait_for_remote_names({"Bob"})
    alice.page.wait_for_function("() => window.visio.session.self?.moderator === true")
    alice_id = alice.participant_id

    bob.page.get_by_test_id("toggle-captions-panel").click()
    expect(bob.page.get_by_test_id("captions-english")).to_have_count(0)  # subtitles are off
    alice.page.get_by_test_id("toggle-captions-panel").click()
    alice.page.get_by_test_id("captions-language").select_option("fr")
    alice.page.get_by_test_id("captions-on").click()
    streams = worker.wait_for_streams(2)
    assert not any(s.translate for s in streams), "nobody asked for English yet"

    english = bob.page.get_by_test_id("captions-english")
    expect(english).not_to_be_checked()
    english.check()
    translating = wait_until(
        lambda: both_streams(worker, translate=True),
        timeout=20,
        message=lambda: f"streams not restarted with translate: {worker.active_streams()}",
    )
    assert all(s.stopped for s in streams)
    assert '"english":true' in bob.page.evaluate("() => localStorage.getItem('visio.captions')")

    alice_stream = next(s.stream_id for s in translating if alice_id in s.stream_id)
    worker.send_caption(alice_stream, "Bonjour à tous.", language="fr", translation="Hello all.")
    line = f'[data-testid="captions-live"] [data-participant-id="{alice_id}"][data-kind="final"]'
    expect(bob.page.locator(line)).to_contain_text("Hello all.")
    expect(bob.page.locator(f"{line} [lang=en]")).to_have_attribute("title", "Bonjour à tous.")
    expect(alice.page.locator(line)).to_contain_text("Bonjour à tous.")
    expect(bob.page.get_by_test_id("captions-log")).to_contain_text("Hello all.")
    expect(bob.page.get_by_test_id("caption-original")).to_contain_text("Bonjour à tous.")
    expect(alice.page.get_by_test_id("caption-original")).to_have_count(0)

    english.uncheck()
    expect(bob.page.get_by_test_id("captions-log")).to_contain_text("Bonjour à tous.")
    expect(bob.page.get_by_test_id("caption-original")).to_have_count(0)
    wait_until(
        lambda: both_streams(worker, translate=False),
        timeout=20,
        message=lambda: f"still translating: {worker.active_streams()}",
    )
