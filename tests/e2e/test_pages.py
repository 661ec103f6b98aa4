"""What a person sees around the meeting: home, pre-join and the friendly error pages."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.browser import BASE_ARGS, Participants
from tests.support import RunningServer


def test_home_new_meeting_lands_on_pre_join(
    media_server: RunningServer, participants: Participants
) -> None:
    """ "New meeting" on the home page creates a room and shows its pre-join screen."""
    person = participants.open(media_server.url + "/", "Alice")
    person.page.get_by_test_id("new-meeting").click()
    expect(person.page).to_have_url(re.compile(r"/[a-z]{3}-[a-z]{4}-[a-z]{3}$"))
    expect(person.page.get_by_test_id("join")).to_be_visible()
    expect(person.page.locator("video")).to_have_count(1)


def test_unknown_room_shows_friendly_error(
    media_server: RunningServer, participants: Participants
) -> None:
    """A room that does not exist gets a friendly page, not a blank one."""
    person = participants.open(media_server.url + "/zzz-zzzz-zzz", "Alice")
    page = person.page.get_by_test_id("error-page")
    expect(page).to_have_attribute("data-error-code", "room_not_found")
    expect(page).to_be_visible()


def test_room_link_with_typo_shows_friendly_error(
    media_server: RunningServer, participants: Participants
) -> None:
    """A mistyped link gets a page explaining what a room code looks like."""
    person = participants.open(media_server.url + "/abc-defg", "Alice")
    expect(person.page.get_by_test_id("error-page")).to_have_attribute(
        "data-error-code", "invalid_room_link"
    )


def test_refused_camera_gets_a_clear_notice_and_can_still_join(
    media_server: RunningServer, participants: Participants
) -> None:
    """When the browser refuses camera and mic, pre-join explains it and joining still works."""
    slug = media_server.create_room()
    person = participants.open(f"{media_server.url}/{slug}", "Dora", args=BASE_ARGS)
    expect(person.page.get_by_test_id("media-denied")).to_be_visible()
    person.page.get_by_test_id("name-input").fill("Dora")
    person.page.get_by_test_id("join").click()
    person.page.wait_for_function("() => !!window.visio?.session?.participantId")


def test_browser_without_webrtc_is_told_so(
    media_server: RunningServer, participants: Participants
) -> None:
    """A browser without WebRTC gets a page saying so, not a crash."""
    slug = media_server.create_room()
    browser = participants.launch("Eve")
    context = browser.new_context()
    context.add_init_script(
        "delete window.RTCPeerConnection; delete window.webkitRTCPeerConnection;"
    )
    page = context.new_page()
    page.goto(f"{media_server.url}/{slug}")
    expect(page.get_by_test_id("error-page")).to_have_attribute("data-error-code", "no_webrtc")
    browser.close()



def test_page_whose_script_cannot_be_fetched_says_visio_was_updated(
    media_server: RunningServer, participants: Participants
) -> None:
    """Pages a meeting link never shows (my rooms, calendar, records...) are script chunks of
    their own. When the server no longer has one (Visio was updated while the tab stayed open:
    the old chunk is gone), the page says "Visio has been updated" with a reload, not a blank
    page; the reload brings the page."""
    browser = participants.launch("Alice")
    context = browser.new_context(viewport={"width": 1024, "height": 700})
    chunk = re.compile(r"/assets/MyRoomsPage-[^/]*\.js$")
    context.route(chunk, lambda route: route.fulfill(status=404, body="gone"))
    page = context.new_page()
    page.goto(f"{media_server.url}/rooms")
    error = page.get_by_test_id("error-page")
    expect(error).to_have_attribute("data-error-code", "unsupported_version")
    expect(error.get_by_role("heading")).to_have_text("Visio has been updated")

    context.unroute(chunk)
    error.get_by_role("button", name="Reload").click()
    expect(page.get_by_test_id("my-rooms")).to_be_visible()
    browser.close()
