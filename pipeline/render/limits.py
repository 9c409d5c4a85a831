"""Limits on one render: its time per user, and the size of every string, list and number.

Templates come from pull requests and data from warehouse exports, so a render must end,
and soon: nested loops of ``range(100000)``, ``'x' * 10**9``, ``10**(10**9)``,
``'%0999999999d' % 1`` or ``lipsum(10**7)`` would otherwise hang or exhaust memory.
``guarded.LimitedEnvironment`` (the base of the pipeline's Jinja environment) checks,
through the hooks Jinja's sandbox offers, with a ``Guard`` of these limits:

- **time**: every loop iteration, call and include checks the clock of the current
  render against its deadline (``seconds`` after its first check); one render of a
  user's fields, or of a locale's MessageConfiguration, is one render;
- **size**: the operators that can multiply a size (``+``, ``*``, ``**``, ``%``, ``~``), the
  filters and methods that can (``amplifiers``: ``join``, ``replace``, ``center``,
  ``format``...), and the texts of macros and blocks are checked before the value is
  built: a string or list of more than ``characters`` items, a whole number of more than
  ``digits`` digits, is refused; every filter's and call's result is checked after. A
  render's whole output may carry long data as it is; only past what a request could ever
  hold is it refused (the payload limit applies when it is batched).

The defaults are far above real copy (an SMS is at most 1,600 characters, a push payload
4 KB); ``PIPELINE_RENDER_LIMITS=seconds=5,characters=2000000,digits=4300`` sets them for
a run. They are the operator's, not the repository's: a pull request must not be able to
lift them. A breach raises ``LimitExceeded``, which ``templating.template_error`` turns into
a one-line error naming the template, the field and the limit.
"""

from __future__ import annotations

import math
import os
import re
import string
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any

from jinja2.sandbox import SandboxedEnvironment

from pipeline.errors import InputError
from pipeline.pinpoint.limits import MAX_REQUEST_BYTES

ENVIRONMENT_VARIABLE = "PIPELINE_RENDER_LIMITS"
_BITS_PER_DIGIT = 3.3219280948873626  # log2(10)
_FEW_PIECES = 64
_SIZED = (str, bytes, list, tuple, dict)
# printf-style conversions: the width and precision of each, a number or '*'.
_PRINTF = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?[a-zA-Z%]")
_NUMBER = re.compile(r"\d+")


@dataclass(frozen=True, slots=True)
class RenderLimits:
    """How much one render may take.

    Attributes:
        seconds: Time per render (a user's fields, or a locale's MessageConfiguration).
        characters: Items in any string or list a template makes, and any width it asks for.
        digits: Digits of any whole number a template makes (Python prints at most 4,300).
        clock: The clock the time is read from (``time.monotonic``; tests inject one).
    """

    seconds: float = 2.0
    characters: int = 1_000_000
    digits: int = 4_300
    clock: Callable[[], float] = field(default=time.monotonic, compare=False, repr=False)

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> RenderLimits:
        """The defaults, with what ``PIPELINE_RENDER_LIMITS`` sets (``name=value,...``).

        Raises:
            InputError: The variable is not a list of known names with positive numbers.
        """
        return _parse_limits(environ.get(ENVIRONMENT_VARIABLE, ""))


@cache
def _parse_limits(text: str) -> RenderLimits:
    changes: dict[str, Any] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, _, value = item.partition("=")
        name = name.strip()
        try:
            number = float(value) if name == "seconds" else int(value)
        except ValueError:
            number = 0
        if name not in ("seconds", "characters", "digits") or not number > 0:
            raise InputError(
                f"{ENVIRONMENT_VARIABLE}: {item!r} is not a limit",
                fix="write name=value pairs of seconds, characters and digits, each above 0, "
                "e.g. seconds=5,characters=2000000",
            )
        changes[name] = number
    return replace(RenderLimits(), **changes)


class LimitExceeded(Exception):  # noqa: N818 - raised inside templates, converted at once
    """A render went past one of its limits; ``templating.template_error`` converts it."""

    def __init__(self, what: str, *, timed_out: bool = False) -> None:
        super().__init__(what)
        self.what = what
        self.timed_out = timed_out


class Guard:
    """The limits of one environment's renders, and the clock of the current one.

    Renders of one environment run one at a time (each thread makes its own): ``depth``
    tells the outermost ``concat`` (a whole render) from the nested ones (macros, blocks).
    """

    def __init__(self, limits: RenderLimits) -> None:
        self.limits = limits
        self.clock = limits.clock
        self.max_items = limits.characters
        self.max_output = max(limits.characters, 2 * MAX_REQUEST_BYTES)
        self.max_bits = int(limits.digits * _BITS_PER_DIGIT) + 1
        self.depth = 0
        self.deadline: float | None = None

    # --- time ---------------------------------------------------------------------

    def tick(self) -> None:
        """A step of the current render: past its deadline, stop it."""
        if not self.depth:
            return  # not rendering (Jinja folding a constant while compiling)
        now = self.clock()
        if self.deadline is None:  # the render's first check starts its clock
            self.deadline = now + self.limits.seconds
        elif now > self.deadline:
            raise LimitExceeded(
                f"rendering took longer than the limit of {self.limits.seconds:g} s "
                "(a loop that never ends, or runs too often?)",
                timed_out=True,
            )

    def concat(self, pieces: Iterable[str]) -> str:
        """Jinja's ``concat``: join a render's output, the outermost one timing the render.

        The pieces are counted before they are joined: a loop can yield the same long text
        many times over at no cost, and only the join would build it. A whole render's
        output may hold long data as it is (a user's attribute); past what a request
        could ever carry it is refused, smaller it meets the payload limit when batched.
        """
        if self.depth:
            parts = list(pieces)
            if sum(map(len, parts)) > self.max_items:
                self.items(sum(map(len, parts)), "a text")
            return "".join(parts)
        self.depth = 1
        self.deadline = None
        try:
            parts = list(pieces)
        finally:
            self.depth = 0
            self.deadline = None
        # Few pieces join to little more than the longest value, and every value a template
        # builds is within the limits: only many pieces (a loop) are counted, off the hot path.
        if len(parts) > _FEW_PIECES and sum(map(len, parts)) > self.max_output:
            raise LimitExceeded(
                f"a rendered text of {sum(map(len, parts)):,} characters could never be sent: "
                f"a request carries at most {MAX_REQUEST_BYTES:,} bytes"
            )
        return "".join(parts)

    def loop(self, iterable: Iterable[Any]) -> Iterator[Any]:
        """What a ``{% for %}`` iterates: ``iterable``, checking the time at each item."""
        tick = self.tick
        for item in iterable:
            tick()
            yield item

    # --- size -----------------------------------------------------------------------

    def items(self, count: int, what: str) -> None:
        """Refuse a string, list or width of more than ``characters`` items."""
        if count > self.max_items:
            raise LimitExceeded(
                f"{what} of {count:,} characters or items is over the limit of "
                f"{self.max_items:,}"
            )

    def bits(self, count: int) -> None:
        """Refuse a whole number of more than ``digits`` digits (``count`` is its bits)."""
        if count > self.max_bits:
            raise LimitExceeded(
                f"a number of about {int(count / _BITS_PER_DIGIT):,} digits is over the limit "
                f"of {self.limits.digits:,} digits"
            )

    def sized(self, value: Any) -> Any:
        """``value``, if its size is within the limits."""
        if isinstance(value, _SIZED):
            self.items(len(value), "a value")
        elif type(value) is int:
            self.bits(value.bit_length())
        return value

    def binop(self, operator: str, left: Any, right: Any) -> Any:
        """``left OPERATOR right`` for the operators that can multiply a size."""
        if operator == "*":
            self._multiply(left, right)
            self._multiply(right, left)
            return left * right
        if operator == "+":
            if isinstance(left, _SIZED) and isinstance(right, _SIZED):
                self.items(len(left) + len(right), "a value")
            elif type(left) is int and type(right) is int:
                self.bits(max(left.bit_length(), right.bit_length()) + 1)
            return left + right
        if operator == "**":
            if type(left) is int and type(right) is int and right > 0 and abs(left) > 1:
                self.bits(int(right * math.log2(abs(left))))
            return self.sized(left**right)
        if operator == "%" and isinstance(left, str):
            self.printf(left, right if isinstance(right, tuple) else (right,))
            return self.sized(left % right)
        return self.sized(_OPERATORS[operator](left, right))

    def _multiply(self, value: Any, times: Any) -> None:
        if type(times) is not int and type(times) is not bool:
            return
        if isinstance(value, str | bytes | list | tuple):
            self.items(len(value) * max(times, 0), "a value")
        elif type(value) is int:
            self.bits(value.bit_length() + times.bit_length())

    def printf(self, template: str, arguments: tuple[Any, ...]) -> None:
        """Refuse ``template % arguments`` if it asks for a width or precision too wide."""
        for width, precision in _PRINTF.findall(template):
            for number in (width, precision):
                if number.isdigit():
                    self.items(int(number), "a width")
            if "*" in (width, precision):  # taken from the arguments
                for argument in arguments:
                    if type(argument) is int:
                        self.items(argument, "a width")

    def format(self, template: str, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> None:
        """Refuse ``template.format(...)`` if it asks for a width or precision too wide."""
        try:
            fields = list(string.Formatter().parse(template))
        except ValueError:
            return  # str.format raises its own error for it
        for _, _, spec, _ in fields:
            for number in _NUMBER.findall(spec or ""):
                self.items(int(number), "a width")
            if spec and "{" in spec:  # a nested field: the width comes from the arguments
                for argument in (*args, *kwargs.values()):
                    if type(argument) is int:
                        self.items(argument, "a width")


_OPERATORS: dict[str, Callable[[Any, Any], Any]] = dict(SandboxedEnvironment.default_binop_table)
