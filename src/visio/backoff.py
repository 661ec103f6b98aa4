"""Waiting longer after each failure: the one back-off used to reconnect and to restart."""

from __future__ import annotations

import random


class Backoff:
    """Delays that start at ``initial`` and grow by ``factor`` up to ``maximum``; ``jitter``
    spreads each one by up to that fraction either way (so many clients do not retry in step).
    Call :meth:`reset` after a success."""

    def __init__(
        self, initial: float, maximum: float, factor: float = 2.0, jitter: float = 0.0
    ) -> None:
        if not 0 < initial <= maximum or factor < 1 or not 0 <= jitter < 1:
            raise ValueError(
                "a back-off needs 0 < initial <= maximum, factor >= 1, 0 <= jitter < 1"
            )
        self._initial = initial
        self._maximum = maximum
        self._factor = factor
        self._jitter = jitter
        self._next = initial

    def next_delay(self) -> float:
        """The delay to wait now; the following one is longer."""
        delay = self._next
        self._next = min(self._next * self._factor, self._maximum)
        if self._jitter:
            delay *= random.uniform(1 - self._jitter, 1 + self._jitter)  # noqa: S311 - not security
        return delay

    def reset(self) -> None:
        self._next = self._initial
