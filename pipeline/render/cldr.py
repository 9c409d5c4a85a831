"""CLDR through Babel, for the filters: locales with a fallback, exact numbers, checked patterns.

What ``filters.LocaleFormats`` builds on, kept apart so that the filters read as a list of
what each one does. Everything here either is computed once per locale or is the small
per-value work (reading a number as a decimal, an ISO 8601 string as a date).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation, localcontext
from functools import cache
from typing import Any, Final, NoReturn
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jinja2
from babel import Locale, UnknownLocaleError, dates, numbers

FORMAT_NAMES: Final = ("short", "medium", "long", "full")
DEFAULT_LOCALE: Final = "en"
_PATTERN_FIX: Final = (
    "use short, medium, long or full, a CLDR pattern such as 'd MMMM y' (letters are "
    "fields; quote other text, e.g. 'at'), or a strftime format with %"
)
# Rounding and scaling of user numbers: wide enough that no integer loses a digit.
_EXACT: Final = Context(prec=1000, rounding=ROUND_HALF_UP)
_ZERO: Final = Decimal(0)
_QUANTA: Final = tuple(Decimal(1).scaleb(-digits) for digits in range(21))
# Babel works in the current decimal context (28 digits): wider numbers get _EXACT.
_WIDE_DIGITS: Final = 26
# In a CLDR date pattern: quoted text, a lone quote (unclosed), or a run of one letter.
_PATTERN_TOKEN: Final = re.compile(r"'[^']*'|'|([A-Za-z])\1*")
# The integer part of a number pattern, and its fraction if any: '#,##0' and '.###'.
NUMBER_PART: Final = re.compile(r"([#0,]*0)(\.[0#]*)?")


class FilterError(jinja2.TemplateRuntimeError):
    """A filter was given something it cannot format; says what, and the fix."""

    def __init__(self, message: str, *, fix: str | None = None) -> None:
        super().__init__(message)
        self.fix = fix


@dataclass(frozen=True, slots=True)
class CldrLocale:
    """The CLDR locale that formats for a requested locale, and whether it is that one."""

    requested: str | None
    tag: str  # BCP 47, e.g. "fr-CA"; "en" without a requested locale
    babel: Locale
    known: bool  # CLDR knows the requested locale itself (no fallback)


@cache
def cldr_locale(requested: str | None) -> CldrLocale:
    """Resolve a locale for formatting: ``fr-CA``, else ``fr``, else ``en``."""
    parts = re.split(r"[-_]", requested) if requested else []
    candidates = ["-".join(parts[:size]) for size in range(len(parts), 0, -1)]
    for index, candidate in enumerate([*candidates, DEFAULT_LOCALE]):
        try:
            found = Locale.parse(candidate, sep="-")
        except (UnknownLocaleError, ValueError, TypeError):
            continue
        tag = str(found).replace("_", "-")
        return CldrLocale(requested, tag, found, requested is None or index == 0)
    raise AssertionError("CLDR always knows 'en'")  # pragma: no cover


@dataclass(frozen=True, slots=True)
class IntegerFormat:
    """Integers in a plain decimal pattern, formatted without Babel's general path.

    Babel's ``NumberPattern.apply`` takes ~6 µs per call, mostly on what an integer does
    not need (rounding, fractions, symbol lookups per call); the sign's prefix and suffix
    around grouped digits take ~1 µs. The result equals Babel's for every CLDR locale
    (checked by the tests).
    """

    prefixes: tuple[str, str]  # positive, negative
    suffixes: tuple[str, str]
    primary: int  # size of the rightmost group of digits
    secondary: int  # size of the others
    separator: str
    minimum: int  # integer digits shown at least
    fraction: str  # the decimal symbol and zeros, when the pattern asks for decimals

    @classmethod
    def of(cls, pattern: numbers.NumberPattern, locale: Locale) -> IntegerFormat | None:
        """The fast path for a pattern, or None when it has anything but digits."""
        affixes = "".join((*pattern.prefix, *pattern.suffix))
        separator = numbers.get_group_symbol(locale)
        decimal = numbers.get_decimal_symbol(locale)
        if (
            pattern.exp_prec
            or pattern.scale
            or "@" in pattern.pattern
            or "¤" in affixes
            or "'" in separator + decimal
        ):
            return None
        least = pattern.frac_prec[0]
        return cls(
            (_unquote(pattern.prefix[0]), _unquote(pattern.prefix[1])),
            (_unquote(pattern.suffix[0]), _unquote(pattern.suffix[1])),
            pattern.grouping[0],
            pattern.grouping[1],
            separator,
            pattern.int_prec[0],
            decimal + "0" * least if least else "",
        )

    def format(self, value: int) -> str:
        """One integer, as Babel would write it with this pattern."""
        negative = value < 0
        digits = str(-value if negative else value).zfill(self.minimum)
        if len(digits) > self.primary:
            head, groups = digits[: -self.primary], [digits[-self.primary :]]
            size = self.secondary
            while len(head) > size:
                groups.append(head[-size:])
                head = head[:-size]
            groups.append(head)
            digits = self.separator.join(reversed(groups))
        return self.prefixes[negative] + digits + self.fraction + self.suffixes[negative]


def _unquote(affix: str) -> str:
    """An affix without CLDR's quoting: 'x' is x, '' is a quote."""
    return re.sub(r"'([^']*)'", lambda match: match.group(1) or "'", affix)


def to_decimal(value: Any, kind: str) -> Decimal:
    """A user's number as an exact decimal."""
    kind_of = type(value)
    if kind_of is int:
        return Decimal(value)
    if kind_of is str:
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            not_a(kind, value, "a number", "write digits with '.' for the decimal point")
    elif kind_of is float:
        number = Decimal(repr(value))
    elif kind_of is Decimal:
        number = value
    elif isinstance(value, jinja2.Undefined):
        value._fail_with_undefined_error()
    elif isinstance(value, int) and not isinstance(value, bool):
        return Decimal(int(value))
    else:
        not_a(kind, value, "a number")
    if not number.is_finite():
        not_a(kind, value, "a finite number")
    return number


def apply_number(
    pattern: numbers.NumberPattern,
    value: Decimal,
    locale: Locale,
    currency: str | None = None,
    digits: int | None = None,
) -> str:
    """Format with Babel, rounding half up first (Babel's own rounding is half even)."""
    if digits is None:
        digits = pattern.frac_prec[1]
    scale = pattern.scale
    shifted = value.scaleb(scale, _EXACT) if scale else value
    rounded = shifted.quantize(_QUANTA[digits], context=_EXACT)
    if not rounded:
        rounded = _ZERO  # no "-0"
    elif scale:
        rounded = rounded.scaleb(-scale, _EXACT)
    text: str
    if rounded.adjusted() + digits < _WIDE_DIGITS:
        text = pattern.apply(rounded, locale, currency=currency)
    else:
        with localcontext(_EXACT):
            text = pattern.apply(rounded, locale, currency=currency)
    return text


@cache
def currency_codes() -> frozenset[str]:
    """Every ISO 4217 code CLDR knows, historical ones included."""
    return frozenset(numbers.list_currencies())


def parse_iso(kind: str, text: str) -> datetime | date:
    """A date (``2026-11-26``) or a datetime (``2026-11-26T09:00:00Z``) from user data."""
    stripped = text.strip()
    try:
        return date.fromisoformat(stripped)
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(stripped)
    except ValueError:
        not_a(kind, text, "an ISO 8601 date or time", "e.g. '2026-11-26' or '2026-11-26T09:00:00Z'")


def checked_pattern(kind: str, pattern: Any) -> str:
    """A CLDR date pattern, or a FilterError: Babel prints letters it does not know as text."""
    if not isinstance(pattern, str):
        raise FilterError(f"{kind}: the format must be text, not {pattern!r}", fix=_PATTERN_FIX)
    for match in _PATTERN_TOKEN.finditer(pattern):
        text, letter = match.group(0), match.group(1)
        if text == "'":
            raise FilterError(
                f"{kind}: the pattern {pattern!r} has an unclosed quote", fix=_PATTERN_FIX
            )
        lengths = dates.PATTERN_CHARS.get(letter, []) if letter else None
        if lengths is not None and len(text) not in lengths:
            raise FilterError(
                f"{kind}: {pattern!r} is not a CLDR pattern: {text!r} is not a field",
                fix=_PATTERN_FIX,
            )
    return pattern


def time_zone(name: Any) -> tzinfo:
    """The IANA time zone of a user's ``time_zone`` attribute."""
    if isinstance(name, str):
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a folder, "Europe"
            pass
    raise FilterError(
        f"the user's time_zone {name!r} is not an IANA time zone",
        fix="write a zone name such as 'Europe/Paris' or 'America/New_York', or leave it out "
        "for UTC",
    )


def not_a(kind: str, value: Any, what: str, fix: str | None = None) -> NoReturn:
    """Raise the FilterError of a value a filter cannot format."""
    raise FilterError(f"{kind}: {value!r} is not {what}", fix=fix)
