"""RateLimiter: calls spaced by the rate, with a burst allowed back to back."""

from __future__ import annotations

from pipeline.send.ratelimit import RateLimiter


def test_the_rate_limiter_spaces_calls():
    now = [0.0]
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(round(seconds, 6))

    limiter = RateLimiter(10.0, burst=2, clock=lambda: now[0], sleep=sleep)
    for _ in range(4):
        limiter.acquire()
    assert waits == [0.1, 0.2]
