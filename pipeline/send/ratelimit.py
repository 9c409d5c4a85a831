"""A thread-safe rate limiter that paces calls to at most a given number per second."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class RateLimiter:
    """Spaces calls ``1 / rate`` seconds apart, allowing ``burst`` calls back to back.

    Each caller takes the next free slot under a lock and sleeps outside it until the slot
    comes, so many threads share one limit without queueing on the lock.
    """

    def __init__(
        self,
        rate: float,
        *,
        burst: int = 1,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError(f"rate must be positive, not {rate}")
        if burst < 1:
            raise ValueError(f"burst must be at least 1, not {burst}")
        self.rate = rate
        self._burst = burst
        self._interval = 1.0 / rate
        self._tolerance = (burst - 1) * self._interval
        self._clock = clock
        self._sleep = sleep
        self._next = clock() - self._tolerance
        self._lock = threading.Lock()

    def share(self, parts: int) -> None:
        """Keep ``1 / parts`` of the rate: this is one of ``parts`` processes sharing it."""
        if parts < 1:
            raise ValueError(f"parts must be at least 1, not {parts}")
        self.rate /= parts
        self._interval = 1.0 / self.rate
        self._tolerance = (self._burst - 1) * self._interval
        with self._lock:
            self._next = self._clock() - self._tolerance

    def acquire(self) -> float:
        """Wait for the next slot; returns the seconds waited."""
        with self._lock:
            now = self._clock()
            slot = max(self._next, now - self._tolerance)
            self._next = slot + self._interval
        wait = slot - now
        if wait > 0:
            self._sleep(wait)
            return wait
        return 0.0
