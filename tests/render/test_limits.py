"""Render limits: time per render on an injected clock, sizes of strings, lists and numbers."""

from __future__ import annotations

import itertools

import pytest

from pipeline.errors import InputError
from pipeline.render.limits import (
    ENVIRONMENT_VARIABLE,
    Guard,
    LimitExceeded,
    RenderLimits,
)


class StepClock:
    """A clock that moves one second each time it is read: time is counted, not waited for."""

    def __init__(self) -> None:
        self.reads = itertools.count()

    def __call__(self) -> float:
        return float(next(self.reads))


def test_the_defaults_are_generous_for_real_copy():
    limits = RenderLimits()
    assert (limits.seconds, limits.characters, limits.digits) == (2.0, 1_000_000, 4_300)


def test_the_operator_sets_the_limits_in_the_environment():
    limits = RenderLimits.from_environment(
        {ENVIRONMENT_VARIABLE: "seconds=0.5, characters=2000000,digits=100"}
    )
    assert (limits.seconds, limits.characters, limits.digits) == (0.5, 2_000_000, 100)
    assert RenderLimits.from_environment({}) == RenderLimits()


@pytest.mark.parametrize("text", ["seconds", "seconds=0", "speed=3", "characters=1.5", "digits=-1"])
def test_a_wrong_setting_is_an_input_error_naming_the_variable(text):
    with pytest.raises(InputError, match=rf"{ENVIRONMENT_VARIABLE}: .* is not a limit"):
        RenderLimits.from_environment({ENVIRONMENT_VARIABLE: text})


def test_a_render_stops_when_its_clock_passes_the_deadline():
    guard = Guard(RenderLimits(seconds=3, clock=StepClock()))
    checks = []

    def pieces():
        for _ in range(100):
            guard.tick()
            checks.append(1)
            yield "x"

    with pytest.raises(LimitExceeded, match="longer than the limit of 3 s") as caught:
        guard.concat(pieces())
    assert caught.value.timed_out
    # Read 0 starts the clock (deadline 3); reads 1, 2, 3 are in time; read 4 is past it.
    assert len(checks) == 4


def test_each_render_has_its_own_deadline():
    clock = StepClock()
    guard = Guard(RenderLimits(seconds=3, clock=clock))

    for _ in range(10):  # ten renders of two checks each: never past any deadline
        assert guard.concat(_ticking(guard, 2)) == "xx"
    assert next(clock.reads) == 20


def _ticking(guard, count):
    for _ in range(count):
        guard.tick()
        yield "x"


def test_outside_a_render_nothing_is_timed():
    clock = StepClock()
    guard = Guard(RenderLimits(seconds=0.001, clock=clock))
    guard.tick()  # e.g. Jinja folding a constant while it compiles
    assert next(clock.reads) == 0


def test_the_text_of_a_macro_or_block_is_sized_before_it_is_joined():
    guard = Guard(RenderLimits(characters=10))
    guard.depth = 1  # inside a render
    assert guard.concat(iter(["12345", "67890"])) == "1234567890"
    with pytest.raises(LimitExceeded, match="a text of 11 characters or items is over the limit of 10"):
        guard.concat(iter(["12345", "67890", "!"]))


def test_a_whole_render_may_carry_long_data_up_to_what_a_request_could_hold():
    guard = Guard(RenderLimits(characters=10))
    assert len(guard.concat(iter(["x" * 1000, "y" * 1000]))) == 2000
    with pytest.raises(LimitExceeded, match="could never be sent: a request carries at most"):
        guard.concat(iter(["x" * 200_000] * 100))  # a loop: the same long text yielded often


@pytest.mark.parametrize(
    ("operator", "left", "right", "message"),
    [
        ("*", "x", 10**9, "a value of 1,000,000,000 characters"),
        ("*", 10**9, "x", "a value of 1,000,000,000 characters"),
        ("*", [1, 2], 10**6, "a value of 2,000,000 characters"),
        ("*", 10**3000, 10**3000, "a number of about"),
        ("**", 10, 10**9, "a number of about 999,999,999 digits"),
        ("**", 2, 20_000, "digits is over the limit of 4,300 digits"),
        ("+", "x" * 600_000, "y" * 600_000, "a value of 1,200,000"),
        ("%", "%0999999999d", 1, "a width of 999,999,999"),
        ("%", "%*d", (10**9, 1), "a width of 1,000,000,000"),
        ("%", "%.2000000f", 1.0, "a width of 2,000,000"),
    ],
)
def test_operators_that_multiply_a_size_are_refused_before_they_run(operator, left, right, message):
    guard = Guard(RenderLimits())
    with pytest.raises(LimitExceeded, match=message):
        guard.binop(operator, left, right)


@pytest.mark.parametrize(
    ("operator", "left", "right", "result"),
    [
        ("*", "ab", 3, "ababab"),
        ("*", 3, "ab", "ababab"),
        ("*", 12, 12, 144),
        ("**", 2, 10, 1024),
        ("**", 2, -1, 0.5),
        ("+", "a", "b", "ab"),
        ("+", [1], [2], [1, 2]),
        ("%", "%05.1f", 3.14159, "003.1"),
        ("%", "%(n)s!", {"n": "hi"}, "hi!"),
        ("%", 7, 3, 1),
    ],
)
def test_operators_within_the_limits_give_what_python_gives(operator, left, right, result):
    assert Guard(RenderLimits()).binop(operator, left, right) == result


def test_format_refuses_a_wide_field_and_a_nested_width():
    guard = Guard(RenderLimits())
    with pytest.raises(LimitExceeded, match="a width of 999,999,999"):
        guard.format("{:>999999999}", (1,), {})
    with pytest.raises(LimitExceeded, match="a width of 1,000,000,000"):
        guard.format("{:{w}}", (1,), {"w": 10**9})
    guard.format("{:,} {name:>10}", (12345,), {"name": "Ana"})  # fine
