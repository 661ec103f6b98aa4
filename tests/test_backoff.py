"""The one back-off: growing delays, a ceiling, jitter within its bounds, reset after success."""

from __future__ import annotations

import pytest

from visio.backoff import Backoff


def test_backoff_grows_to_its_ceiling_and_resets() -> None:
    """Each delay is ``factor`` times the last, never past the maximum; reset starts over."""
    backoff = Backoff(initial=0.1, maximum=0.5, factor=2)
    assert [round(backoff.next_delay(), 3) for _ in range(5)] == [0.1, 0.2, 0.4, 0.5, 0.5]
    backoff.reset()
    assert backoff.next_delay() == pytest.approx(0.1)


def test_backoff_jitter_stays_within_its_fraction() -> None:
    """Jitter spreads a delay by at most its fraction either way."""
    delays = [Backoff(initial=1.0, maximum=1.0, jitter=0.2).next_delay() for _ in range(200)]
    assert all(0.8 <= d <= 1.2 for d in delays)
    assert len({round(d, 6) for d in delays}) > 1


@pytest.mark.parametrize(
    ("initial", "maximum", "factor", "jitter"),
    [(0, 1, 2, 0), (2, 1, 2, 0), (1, 2, 0.5, 0), (1, 2, 2, 1)],
)
def test_backoff_refuses_nonsense(
    initial: float, maximum: float, factor: float, jitter: float
) -> None:
    """A back-off that could not grow, or would wait forever or never, is refused."""
    with pytest.raises(ValueError, match="back-off"):
        Backoff(initial, maximum, factor, jitter)
