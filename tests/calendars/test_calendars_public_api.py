"""The calendars package's public surface is deliberate: what the scheduling code may import."""

from __future__ import annotations

import visio.calendars


def test_calendars_public_api_is_what_the_package_documents() -> None:
    """Everything in __all__ exists, and the names the scheduling code calls are in it."""
    exported = set(visio.calendars.__all__)
    assert all(hasattr(visio.calendars, name) for name in exported)
    assert {
        "Calendars",
        "CalendarOutcome",
        "CalDavClient",
        "CalendarAccount",
        "CalendarError",
    } <= exported
    calendars = visio.calendars.Calendars
    for method in ("write_event", "remove_event", "read_event", "upcoming", "test", "account_for"):
        assert callable(getattr(calendars, method))
