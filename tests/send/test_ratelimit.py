"""RateLimiter: calls spaced by the rate, with a burst allowed back to back."""

from __future__ import annotations

import threading

import pytest

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


class FakeTime:
    """A clock that moves only when told, and a sleep that records instead of sleeping."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)


def test_a_burst_goes_back_to_back_then_calls_are_spaced():
    time = FakeTime()
    limiter = RateLimiter(10.0, burst=3, clock=time.clock, sleep=time.sleep)
    waits = [round(limiter.acquire(), 6) for _ in range(5)]
    assert waits == [0.0, 0.0, 0.0, 0.1, 0.2]
    assert [round(s, 6) for s in time.slept] == [0.1, 0.2]


def test_idle_time_earns_at_most_one_burst():
    time = FakeTime()
    limiter = RateLimiter(10.0, burst=2, clock=time.clock, sleep=time.sleep)
    limiter.acquire()
    time.now = 3600.0  # an hour without calls
    waits = [round(limiter.acquire(), 6) for _ in range(4)]
    assert waits == [0.0, 0.0, 0.1, 0.2]


def test_threads_share_one_limit_each_taking_its_own_slot():
    time = FakeTime()
    limiter = RateLimiter(20.0, clock=time.clock, sleep=time.sleep)
    waits: list[float] = []
    lock = threading.Lock()

    def call() -> None:
        wait = limiter.acquire()
        with lock:
            waits.append(round(wait, 6))

    threads = [threading.Thread(target=call) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(waits) == [round(n * 0.05, 6) for n in range(16)]


@pytest.mark.parametrize(
    ("rate", "burst", "message"),
    [(0.0, 1, "rate must be positive"), (-1.0, 1, "rate must be positive"), (5.0, 0, "burst")],
)
def test_a_rate_or_burst_that_allows_nothing_is_refused(rate, burst, message):
    with pytest.raises(ValueError, match=message):
        RateLimiter(rate, burst=burst)
