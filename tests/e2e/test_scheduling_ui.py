"""Scheduling a meeting in Chromium (issue 13): the form with the browser's time zone, a weekly
recurrence over the change of clocks, invitees from the LDAP directory as one types; the
invitation received by a real SMTP server and its HTML shown in Chromium; "My meetings" with
every occurrence at the same local hour, then a change and a cancellation. Screenshots for the
docs with VISIO_SCREENSHOTS."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.directory.slapd import LdapServer, start_slapd
from tests.e2e.browser import Participants, screenshot
from tests.e2e.test_axe import axe_violations
from tests.mail.smtp import Received, SmtpServer
from tests.oidc.provider import TestProvider, visio_with_provider
from tests.support import RunningServer, wait_until

MARIE = "marie.curie@recherche.gouv.fr"
ANNE = "anne.martin@example.fr"
TITLE = "Comité <b>hebdo</b>"


@pytest.fixture(scope="module")
def smtp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SmtpServer]:
    server = SmtpServer(tmp_path_factory.mktemp("smtp"), "starttls")
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def ldap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LdapServer]:
    server = start_slapd(tmp_path_factory.mktemp("slapd"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def visio(
    tmp_path_factory: pytest.TempPathFactory, smtp: SmtpServer, ldap: LdapServer
) -> Iterator[tuple[RunningServer, TestProvider]]:
    with visio_with_provider(
        tmp_path_factory.mktemp("visio-scheduling"), **smtp.settings(), **ldap.settings()
    ) as pair:
        wait_until(
            lambda: "directory sync:" in pair[0].log(), 60, "the directory was never synced"
        )
        yield pair


def _html(received: Received) -> str:
    body = received.message.get_body(("html",))
    assert body is not None
    return str(body.get_content())


def _violations(page: Page) -> list[dict[str, object]]:
    """axe-core's serious and critical findings."""
    return list(axe_violations(page))


def _sign_in(page: Page, server: RunningServer, provider: TestProvider, back_to: str) -> None:
    page.get_by_test_id("login-proconnect").click()
    page.wait_for_url(f"{provider.issuer}/interaction/**")
    page.locator("#login").fill("pierre")
    page.locator("#submit").click()
    page.wait_for_url(f"{server.url}{back_to}")


def test_scheduling_form_invitation_and_my_meetings(
    participants: Participants,
    visio: tuple[RunningServer, TestProvider],
    smtp: SmtpServer,
) -> None:
    """Pierre schedules a weekly meeting in French from Paris, invites Marie (from the directory)
    and Anne; the mail arrives and renders; My meetings lists it; he changes it, then cancels."""
    server, provider = visio
    browser = participants.launch("pierre")
    try:
        _schedule_change_and_cancel(browser, server, provider, smtp)
    finally:
        browser.close()


def _schedule_change_and_cancel(
    browser: Browser, server: RunningServer, provider: TestProvider, smtp: SmtpServer
) -> None:
    context = browser.new_context(
        viewport={"width": 1024, "height": 900},
        timezone_id="Europe/Paris",
        locale="fr-FR",
        bypass_csp=True,  # to inject axe-core
    )
    page = context.new_page()
    page.goto(f"{server.url}/meetings/new")
    _sign_in(page, server, provider, "/meetings/new")
    form = page.get_by_test_id("schedule-form")
    expect(page.get_by_role("heading", level=1)).to_have_text("Planifier une réunion")

    # The zone is the browser's own; a weekly meeting on Mondays over the last Sunday of March.
    expect(form.get_by_test_id("meeting-zone")).to_have_value("Europe/Paris")
    form.get_by_label("Titre", exact=True).fill(TITLE)
    form.get_by_label("Date", exact=True).fill("2027-03-22")
    form.get_by_label("Heure de début", exact=True).fill("10:00")
    form.get_by_label("Durée", exact=True).select_option("45")
    form.get_by_label("Répétition", exact=True).select_option("weekly")
    expect(form.get_by_test_id("meeting-day-MO")).to_be_checked()
    for day in ("TU", "WE", "TH", "FR", "SA", "SU"):
        expect(form.get_by_test_id(f"meeting-day-{day}")).not_to_be_checked()
    form.get_by_label("Nombre de réunions", exact=True).fill("3")

    # Invitees: a suggestion from the directory, chosen with the keyboard; a typed address; and
    # something that is not an address, refused with a message.
    invitee = form.get_by_test_id("invitee-input")
    invitee.fill("mc")
    suggestion = form.get_by_test_id("invitee-suggestion")
    expect(suggestion).to_have_count(1)
    expect(suggestion).to_contain_text(MARIE)
    expect(invitee).to_have_attribute("aria-expanded", "true")
    invitee.press("ArrowDown")
    expect(suggestion).to_have_attribute("aria-selected", "true")
    invitee.press("Enter")
    expect(form.get_by_test_id("invitee")).to_have_count(1)
    invitee.fill("pas une adresse")
    invitee.press("Enter")
    expect(form.get_by_role("alert")).to_contain_text("Saisissez une adresse e-mail")
    invitee.fill(ANNE)
    invitee.press("Enter")
    expect(form.get_by_test_id("invitee")).to_have_count(2)
    screenshot(page, "schedule-form.png", full_page=True)
    assert _violations(page) == []

    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.set_viewport_size({"width": 1024, "height": 900})

    form.get_by_test_id("meeting-submit").click()
    expect(form.get_by_test_id("meeting-done")).to_contain_text("« Comité <b>hebdo</b> » est planifiée")

    # The invitation, in French (the organiser's language), its HTML shown in Chromium: the
    # markup of the title is text, no element.
    smtp.wait_for(2)
    (to_anne,) = smtp.to(ANNE)
    assert to_anne.message["Subject"] == f"Invitation : {TITLE}"
    mail = context.new_page()
    mail.set_viewport_size({"width": 640, "height": 700})
    mail.set_content(_html(to_anne))
    expect(mail.get_by_role("heading", level=1)).to_have_text(TITLE)
    assert mail.locator("h1 b").count() == 0
    expect(mail.get_by_role("link", name="Rejoindre la réunion")).to_have_attribute(
        "href", re.compile(r"/[a-z]{3}-[a-z]{4}-[a-z]{3}$")
    )
    expect(mail.locator("body")).to_contain_text("lundi 22 mars 2027, de 10:00 à 10:45")
    screenshot(mail, "schedule-email.png", full_page=True)
    mail.close()

    # My meetings: three occurrences, all at 10:00 Paris time although the offset changed.
    page.goto(f"{server.url}/meetings")
    rows = page.get_by_test_id("occurrence")
    expect(rows).to_have_count(0)  # in 2027: beyond the next 60 days
    expect(page.get_by_test_id("no-meetings")).to_be_visible()
    expect(page.get_by_test_id("calendar-hint")).to_be_visible()  # no calendar connected
    page.route(
        re.compile(r".*/api/v1/me/agenda\?days=60&tz=Europe%2FParis$"),
        lambda route: route.continue_(url=route.request.url.replace("days=60", "days=366")),
    )
    page.reload()
    expect(rows).to_have_count(3)
    for row in rows.all():
        expect(row).to_contain_text("10:00 \u2013 10:45")
        expect(row.get_by_test_id("occurrence-source")).to_have_text("Planifiée dans Visio")
        expect(row.get_by_test_id("occurrence-title")).to_have_text(TITLE)
    expect(rows.first).to_contain_text("lundi 22 mars 2027")
    expect(rows.nth(1)).to_contain_text("lundi 29 mars 2027")
    assert [row.get_attribute("data-start") for row in rows.all()] == [
        "2027-03-22T10:00:00+01:00",
        "2027-03-29T10:00:00+02:00",
        "2027-04-05T10:00:00+02:00",
    ]
    join = rows.first.get_by_test_id("occurrence-join")
    expect(join).to_have_attribute("href", re.compile(r"^/[a-z]{3}-[a-z]{4}-[a-z]{3}$"))
    screenshot(page, "my-meetings.png", full_page=True)
    assert _violations(page) == []
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.set_viewport_size({"width": 1024, "height": 900})

    # Change: an hour later. The invitees get the update.
    rows.first.get_by_test_id("occurrence-edit").click()
    page.wait_for_url(re.compile(r".*/meetings/[0-9a-f]{32}/edit$"))
    form = page.get_by_test_id("schedule-form")
    expect(form.get_by_label("Titre", exact=True)).to_have_value(TITLE)
    expect(form.get_by_test_id("invitee")).to_have_count(2)
    form.get_by_label("Heure de début", exact=True).fill("11:00")
    form.get_by_test_id("meeting-submit").click()
    expect(form.get_by_test_id("meeting-done")).to_contain_text("est modifiée")
    smtp.wait_for(4)
    assert smtp.to(ANNE)[1].message["Subject"] == f"Modifiée : {TITLE}"

    # Cancel, after confirming: the occurrences stay listed, marked cancelled, without a join
    # button, and the invitees get the cancellation.
    page.goto(f"{server.url}/meetings")
    expect(rows).to_have_count(3)
    expect(rows.first).to_contain_text("11:00 \u2013 11:45")
    rows.first.get_by_test_id("occurrence-cancel").click()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text("Chaque invité reçoit une annulation")
    dialog.get_by_role("button", name="Annuler la réunion").click()
    expect(page.get_by_test_id("meeting-notice")).to_contain_text("est annulée")
    expect(page.locator("[data-testid=occurrence][data-cancelled=true]")).to_have_count(3)
    expect(rows.first.get_by_test_id("occurrence-cancelled")).to_have_text("Annulée")
    expect(page.get_by_test_id("occurrence-join")).to_have_count(0)
    expect(page.get_by_test_id("occurrence-cancel")).to_have_count(0)
    smtp.wait_for(6)
    assert smtp.to(MARIE)[2].message["Subject"] == f"Annulée : {TITLE}"
    context.close()
