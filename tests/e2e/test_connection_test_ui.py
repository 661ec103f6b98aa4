"""The pre-join connection test (issue 11), in a real Chromium against Visio's real coturn: on an
open network it says media goes direct over UDP; once the network profile blocks UDP for the
browser, it says the meeting will go through the relay over TCP, and why. The result is axe-clean
at desktop and phone width. The browser runs in the network profile's cgroup (nftables)."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, Playwright, expect

from tests.e2e.browser import ACTION_TIMEOUT_MS, screenshot
from tests.e2e.network_profile import NetworkProfile
from tests.e2e.test_axe import PHONE, axe_violations
from tests.e2e.test_turn_ui import TURNS_ARGS, LockedDownParticipants
from tests.support import RunningServer

RESULT_TIMEOUT_MS = 30_000
"""The test stops itself at 20 s; the rest is for a busy machine."""


def _run_test(page: Page) -> None:
    page.get_by_test_id("connection-test-start").click()
    expect(page.get_by_test_id("connection-test-running")).to_be_visible()
    expect(page.get_by_test_id("connection-test-result")).to_be_visible(timeout=RESULT_TIMEOUT_MS)
    expect(page.get_by_test_id("connection-test-running")).to_have_count(0)


def test_connection_test_says_direct_udp_then_relay_over_tcp_when_udp_is_blocked(
    turn_server: RunningServer,
    playwright: Playwright,
    tones: dict[str, Path],
    profile: NetworkProfile,
) -> None:
    """Open network: "Direct (UDP)" with a round trip and 0 % loss. UDP blocked: "through the
    relay, over TCP", UDP marked blocked, and the advice says the network blocks UDP."""
    crowd = LockedDownParticipants(playwright, tones, profile)
    browser = crowd.launch("Alice", TURNS_ARGS)
    try:
        # bypass_csp: axe is injected into the page.
        context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        page = context.new_page()
        page.goto(f"{turn_server.url}/{turn_server.create_room()}")
        expect(page.get_by_test_id("join")).to_be_visible()
        result = page.get_by_test_id("connection-test-result")

        _run_test(page)
        expect(result).to_have_attribute("data-path", "direct-udp")
        expect(result).to_contain_text("Your connection is good for a meeting.")
        expect(page.get_by_test_id("connection-test-path")).to_have_text("Direct (UDP)")
        expect(page.get_by_test_id("connection-test-loss")).to_have_text("0 %")
        expect(page.get_by_test_id("connection-test-rtt")).to_have_text(re.compile(r"^\d+ ms$"))
        for transport in ("udp", "tcp", "tls"):
            expect(page.get_by_test_id(f"connection-test-transport-{transport}")).to_have_attribute(
                "data-result", "open"
            )
        screenshot(page, "connection-test-open.png", full_page=True)
        assert not axe_violations(page), axe_violations(page)

        profile.block_udp()
        _run_test(page)
        expect(result).to_have_attribute("data-path", "turn-tcp")
        expect(page.get_by_test_id("connection-test-path")).to_have_text(
            "Through the relay, over TCP"
        )
        expect(page.get_by_test_id("connection-test-transport-udp")).to_have_attribute(
            "data-result", "blocked"
        )
        expect(page.locator('[data-advice="udp-blocked"]')).to_contain_text("blocks UDP")
        expect(result).to_contain_text("works for a meeting, through the relay")
        assert profile.processes(), "the browser is not in the profile's cgroup"
        screenshot(page, "connection-test-udp-blocked.png", full_page=True)

        # The same result in French, at phone width.
        page.get_by_role("button", name=re.compile("Passer en français")).click()
        expect(page.get_by_test_id("connection-test-path")).to_have_text("Par le relais, en TCP")
        expect(page.locator('[data-advice="udp-blocked"]')).to_contain_text("bloque l\u2019UDP")
        page.set_viewport_size(PHONE)
        page.get_by_test_id("connection-test").scroll_into_view_if_needed()
        screenshot(page, "connection-test-udp-blocked-phone.png", full_page=True)
        assert not axe_violations(page), axe_violations(page)
    finally:
        browser.close()
