"""A shared room microphone and the renaming of its speakers, in real Chromium on a real
`visio serve` (real Janus, a real OpenID Connect provider).

A participant ticks "several people use this microphone" on the pre-join screen: the others
see the mark on that participant. The room's meeting is transcribed (started and stopped over
the room protocol, the turns of the shared device's two voices written into the server's
store, as the speech workers and the voice split would have); the owner opens the transcript
page and renames one voice through the dialog: a name the server refuses is explained in the
form, the accepted one shows in every turn of that voice and in the JSON export. axe-core finds
no serious violation with the dialog open, in English at desktop width and in French at phone
width.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.captions.protocol_worker import ProtocolWorker
from tests.e2e.browser import ACTION_TIMEOUT_MS, Participants, screenshot, signed_in_context
from tests.e2e.test_axe import axe_violations
from tests.oidc.provider import TestProvider, visio_with_provider
from tests.rooms.people import Browser
from tests.support import RunningServer
from tests.transcripts.conftest import add_turns
from visio.auth.sessions import SESSION_COOKIE
from visio.transcripts.shared_devices import speaker_label

SECRET = "worker-secret-for-rename-ui-0123456789"
ROOM_DEVICE = "Salle 3"
NEW_NAME = "Aïcha Benali"


@pytest.fixture(scope="module")
def rename_server(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[RunningServer, TestProvider]]:
    with visio_with_provider(
        tmp_path_factory.mktemp("visio-rename-ui"), speech_worker_secret=SECRET
    ) as pair:
        yield pair


def transcribed(owner: Browser, server: RunningServer, slug: str, device: str) -> int:
    """A finished transcript of the room's meeting whose shared device (participant
    ``device``) spoke with two voices (voice 1, voice 2, voice 1); returns its id."""
    worker = ProtocolWorker(f"{server.ws_base}/api/v1/speech/workers/ws", SECRET)
    try:
        moderator = owner.socket(slug)
        assert moderator.join("Pierre")["type"] == "joined"
        assert moderator.outcome(type="transcription.start", language="fr") == "ok"
        assert moderator.outcome(type="transcription.stop") == "ok"
        moderator.close()
    finally:
        worker.close()
    listed = owner.http.get(f"/api/v1/rooms/{slug}/transcripts").json()["transcripts"]
    transcript = int(listed[0]["id"])
    voice = {n: speaker_label(ROOM_DEVICE, n, "fr") for n in (1, 2)}
    said = [
        (voice[1], "Le chantier de la médiathèque avance."),
        (voice[2], "Les devis sont arrivés."),
        (voice[1], "Nous signerons lundi."),
    ]
    # Playwright's sync API keeps an event loop running in this thread: the store's own
    # asyncio.run goes to another one.
    with ThreadPoolExecutor(max_workers=1) as other_thread:
        other_thread.submit(add_turns, server, transcript, said, [device] * len(said)).result()
    return transcript


def no_serious_violation(page: Page, where: str) -> None:
    violations: list[dict[str, Any]] = axe_violations(page)
    assert not violations, f"{where}: {violations}"


def test_shared_microphone_is_marked_and_the_owner_renames_its_speaker(
    participants: Participants, rename_server: tuple[RunningServer, TestProvider]
) -> None:
    server, provider = rename_server
    owner = Browser(server, provider, "pierre")
    try:
        slug = owner.create_room(name="Conseil municipal")

        # The meeting room's device says so before joining; Bob, joining plainly, sees it.
        device = participants.open(f"{server.url}/{slug}", ROOM_DEVICE)
        device.page.get_by_test_id("name-input").fill(ROOM_DEVICE)
        device.page.get_by_test_id("shared-device").check()
        device.page.get_by_test_id("join").click()
        device.page.wait_for_function("() => !!window.visio?.session?.participantId")
        bob = participants.join(server.url, slug, "Bob", camera=False)
        bob.page.get_by_test_id("toggle-participants").click()
        rows = bob.page.get_by_test_id("participants-list").locator("li")
        shared = rows.filter(has_text=ROOM_DEVICE)
        expect(shared.get_by_test_id("shared-device-badge")).to_have_text(
            re.compile(r"^(Shared microphone|Micro partagé)$")
        )
        expect(rows.filter(has_text="Bob").get_by_test_id("shared-device-badge")).to_have_count(0)
        assert shared.get_attribute("data-participant-id") == device.participant_id

        transcript = transcribed(owner, server, slug, device.participant_id)
        voice1 = speaker_label(ROOM_DEVICE, 1, "fr")
        voice2 = speaker_label(ROOM_DEVICE, 2, "fr")

        # The owner's page, in English: a Rename button per voice, a dialog with the name.
        browser = participants.launch("owner")
        session = owner.http.cookies[SESSION_COOKIE]
        context = signed_in_context(
            browser,
            server.url,
            session,
            viewport={"width": 1100, "height": 900},
            locale="en-GB",
            bypass_csp=True,
        )
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        page = context.new_page()
        try:
            page.goto(f"{server.url}/rooms/{slug}/records?transcript={transcript}")
            expect(page.get_by_test_id("speaker-name")).to_have_text([voice1, voice2])
            page.get_by_role("button", name=f"Rename {voice1}").click()
            dialog = page.get_by_test_id("rename-speaker-dialog")
            name = dialog.get_by_label("New name")
            expect(name).to_have_value(voice1)
            expect(name).to_be_focused()

            # A name the server refuses (a bidi override): the reason, in the form.
            name.fill("Aïcha\u202eilaneB")
            dialog.get_by_test_id("rename-speaker-save").click()
            expect(dialog.get_by_role("alert")).to_have_text(
                "This name cannot be used: it must not contain invisible formatting "
                "characters (bidi or zero-width)."
            )
            expect(name).to_have_attribute("aria-invalid", "true")
            no_serious_violation(page, "transcript page, rename dialog with an error, desktop")
            screenshot(page, "transcript-rename.png")

            name.fill(NEW_NAME)
            dialog.get_by_test_id("rename-speaker-save").click()
            expect(dialog).to_have_count(0)
            expect(page.get_by_test_id("turn-speaker")).to_have_text([NEW_NAME, voice2, NEW_NAME])
            expect(page.get_by_test_id("records-status")).to_have_text(
                f"“{voice1}” is now “{NEW_NAME}” (2 turns)."
            )
            expect(page.get_by_role("button", name=f"Rename {NEW_NAME}")).to_be_focused()

            # The server has it: the export, and the page read afresh, in French at phone width.
            exported = owner.http.get(f"/api/v1/transcripts/{transcript}/export?format=json")
            assert [t["speaker"] for t in exported.json()["turns"]] == [NEW_NAME, voice2, NEW_NAME]
            phone = signed_in_context(
                browser,
                server.url,
                session,
                viewport={"width": 390, "height": 844},
                locale="fr-FR",
                bypass_csp=True,
            )
            phone.set_default_timeout(ACTION_TIMEOUT_MS)
            small = phone.new_page()
            small.goto(f"{server.url}/rooms/{slug}/records?transcript={transcript}")
            expect(small.get_by_test_id("speaker-name")).to_have_text([NEW_NAME, voice2])
            small.get_by_role("button", name=f"Renommer {voice2}").click()
            expect(
                small.get_by_test_id("rename-speaker-dialog").get_by_label("Nouveau nom")
            ).to_have_value(voice2)
            assert small.evaluate("document.documentElement.scrollWidth") <= 390
            no_serious_violation(small, "transcript page, rename dialog, French, phone")
            screenshot(small, "transcript-rename-fr-phone.png")
        finally:
            browser.close()
    finally:
        owner.close()
