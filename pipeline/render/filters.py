"""Filters for message copy in the user's locale: numbers, money, percentages, dates, times.

The formats are CLDR's, through Babel. Each environment (one per locale, see
``templating``) gets one ``LocaleFormats``: the Babel locale is resolved and every pattern
parsed once for that locale, the first time it is used, so a filter call per user is a
dict lookup and Babel's formatting of one value.

- The locale is the user's as ``render`` resolves it; ``en`` without one. A locale CLDR
  does not know falls back along its chain (``fr-XX`` -> ``fr``), then to ``en``;
  ``cldr_locale`` says which was used, and lint warns about it.
- Numbers are decimals, never floats: an integer keeps every digit, a string is read as
  a decimal (``"3.5"``), a float by its shortest repr. Rounding is half up (2.5 -> 3), and
  a value that rounds to zero loses its sign (no ``-0``).
- Dates and times are converted to the user's ``time_zone`` attribute (an IANA name such
  as ``Europe/Paris``) when there is one, else UTC; a datetime without an offset is taken
  as UTC; a calendar date (``2026-11-26``) is not converted. The user is read from the
  scope the templates render with (``bind``), so a macro imported without context
  formats in the user's zone too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
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
_NUMBER_PART: Final = re.compile(r"([#0,]*0)(\.[0#]*)?")


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


class LocaleFormats:
    """The formatting filters of one locale, with its patterns parsed once."""

    def __init__(self, locale: str | None) -> None:
        self.cldr = cldr_locale(locale)
        self.locale = self.cldr.babel
        self.scope: Mapping[str, Any] = {}
        self._numbers: dict[tuple[str, Any], tuple[numbers.NumberPattern, _Integers | None]] = {}
        self._moments: dict[tuple[str, Any], dates.DateTimePattern] = {}
        self._currencies: dict[Any, tuple[str, int]] = {}
        self._zones: dict[Any, tzinfo] = {}

    def bind(self, scope: Mapping[str, Any]) -> None:
        """Read the user being rendered (for ``time_zone``) from ``scope["user"]``."""
        self.scope = scope

    def install(self, environment: jinja2.Environment) -> None:
        """Register the filters in an environment of this locale."""
        environment.filters.update(
            number=self.format_number,
            currency=self.format_currency,
            percent=self.format_percent,
            date=self.format_date,
            time=self.format_time,
            datetime=self.format_datetime,
        )

    # --- numbers ------------------------------------------------------------------

    def format_number(self, value: Any, decimals: int | None = None) -> str:
        """A number, the locale's way: ``{{ 1250.5 | number }}`` is 1,250.5 (en), 1 250,5 (fr).

        ``number(2)`` gives exactly two decimals; without, up to the locale's (3).
        """
        pattern, integers = self._numbers.get(("decimal", decimals)) or self._number_pattern(
            "decimal", decimals
        )
        if integers is not None and type(value) is int:
            return integers.format(value)
        return _apply(pattern, _decimal(value, "number"), self.locale)

    def format_percent(self, value: Any, decimals: int = 0) -> str:
        """A share as a percentage: ``{{ 0.125 | percent }}`` is 13%, ``percent(1)`` 12.5%."""
        pattern, _ = self._numbers.get(("percent", decimals)) or self._number_pattern(
            "percent", decimals
        )
        return _apply(pattern, _decimal(value, "percent"), self.locale)

    def format_currency(self, value: Any, code: Any) -> str:
        """An amount of money: ``{{ 1250.5 | currency('EUR') }}`` is €1,250.50 (en)."""
        currency, digits = self._currencies.get(code) or self._currency(code)
        pattern, _ = self._numbers.get(("currency", None)) or self._number_pattern("currency", None)
        return _apply(pattern, _decimal(value, "currency"), self.locale, currency, digits)

    def _number_pattern(
        self, kind: str, decimals: Any
    ) -> tuple[numbers.NumberPattern, _Integers | None]:
        if decimals is not None and (type(decimals) is not int or not 0 <= decimals <= 20):
            name = "number" if kind == "decimal" else kind
            raise FilterError(
                f"{name}: decimals must be a whole number from 0 to 20, not {decimals!r}"
            )
        pattern: numbers.NumberPattern
        if kind == "currency":
            pattern = self.locale.currency_formats["standard"]
        else:
            formats = (
                self.locale.percent_formats if kind == "percent" else self.locale.decimal_formats
            )
            pattern = formats[None]
            if decimals is not None:
                fraction = "." + "0" * decimals if decimals else ""
                text = _NUMBER_PART.sub(lambda m: m.group(1) + fraction, pattern.pattern)
                pattern = numbers.parse_pattern(text)
        found = self._numbers[(kind, decimals)] = (pattern, _Integers.of(pattern, self.locale))
        return found

    def _currency(self, code: Any) -> tuple[str, int]:
        if not isinstance(code, str) or code.upper() not in _currency_codes():
            raise FilterError(
                f"currency: {code!r} is not an ISO 4217 currency code",
                fix="give the three-letter code, e.g. currency('EUR') or currency('USD')",
            )
        upper = code.upper()
        found = self._currencies[code] = (upper, numbers.get_currency_precision(upper))
        return found

    # --- dates and times --------------------------------------------------------------

    def format_date(self, value: Any, format: Any = "medium") -> str:
        """A date: ``{{ now | date('long') }}`` is November 26, 2026 (en), 26 novembre 2026 (fr)."""
        return self._format_moment("date", value, format)

    def format_time(self, value: Any, format: Any = "medium") -> str:
        """A time of day: ``{{ now | time('short') }}`` is 9:00 AM (en), 09:00 (fr)."""
        return self._format_moment("time", value, format)

    def format_datetime(self, value: Any, format: Any = "medium") -> str:
        """A date and time: ``{{ now | datetime('short') }}`` is 11/26/26, 9:00 AM (en)."""
        return self._format_moment("datetime", value, format)

    def _format_moment(self, kind: str, value: Any, format: Any) -> str:
        moment = self._moment(kind, value)
        if type(format) is str and "%" in format:
            try:
                return moment.strftime(format)
            except ValueError as exc:
                raise FilterError(f"{kind}: {format!r} is not a strftime format: {exc}") from exc
        pattern = self._moments.get((kind, format)) or self._moment_pattern(kind, format)
        try:
            text: str = pattern.apply(moment, self.locale)
            return text
        except AttributeError as exc:  # a time field of a calendar date
            raise FilterError(
                f"{kind}: the pattern {format!r} needs a time of day, and {value!r} is a date",
                fix="use a date pattern, or pass a datetime",
            ) from exc

    def _moment(self, kind: str, value: Any) -> datetime | date:
        if isinstance(value, jinja2.Undefined):
            value._fail_with_undefined_error()
        if isinstance(value, str):
            value = _parse_iso(kind, value)
        if isinstance(value, datetime):
            moment: datetime = value if value.tzinfo else value.replace(tzinfo=UTC)
            return moment.astimezone(self._zone())
        if isinstance(value, date):
            if kind != "date":
                raise FilterError(
                    f"{kind}: {value.isoformat()} is a date without a time of day",
                    fix="use the date filter, or pass a datetime",
                )
            return value
        _not_a(kind, value, "a date or a time")

    def _moment_pattern(self, kind: str, format: Any) -> dates.DateTimePattern:
        pattern: dates.DateTimePattern
        if format in FORMAT_NAMES:
            day: dates.DateTimePattern
            hour: dates.DateTimePattern
            day, hour = self.locale.date_formats[format], self.locale.time_formats[format]
            if kind == "date":
                pattern = day
            elif kind == "time":
                pattern = hour
            else:  # CLDR's glue, e.g. "{1}, {0}" or "{1} 'à' {0}", is itself a pattern
                glue = str(self.locale.datetime_formats[format])
                text = glue.replace("{1}", day.pattern).replace("{0}", hour.pattern)
                pattern = dates.parse_pattern(text)
        else:
            pattern = dates.parse_pattern(_checked_pattern(kind, format))
        self._moments[(kind, format)] = pattern
        return pattern

    def _zone(self) -> tzinfo:
        user = self.scope.get("user")
        name = user.get("time_zone") if type(user) is dict else None
        if not name:
            return UTC
        zone = self._zones.get(name)
        if zone is None:
            zone = self._zones[name] = _time_zone(name)
        return zone


@dataclass(frozen=True, slots=True)
class _Integers:
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
    def of(cls, pattern: numbers.NumberPattern, locale: Locale) -> _Integers | None:
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


def _decimal(value: Any, kind: str) -> Decimal:
    """A user's number as an exact decimal."""
    kind_of = type(value)
    if kind_of is int:
        return Decimal(value)
    if kind_of is str:
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            _not_a(kind, value, "a number", "write digits with '.' for the decimal point")
    elif kind_of is float:
        number = Decimal(repr(value))
    elif kind_of is Decimal:
        number = value
    elif isinstance(value, jinja2.Undefined):
        value._fail_with_undefined_error()
    elif isinstance(value, int) and not isinstance(value, bool):
        return Decimal(int(value))
    else:
        _not_a(kind, value, "a number")
    if not number.is_finite():
        _not_a(kind, value, "a finite number")
    return number


def _apply(
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
def _currency_codes() -> frozenset[str]:
    return frozenset(numbers.list_currencies())


def _parse_iso(kind: str, text: str) -> datetime | date:
    stripped = text.strip()
    try:
        return date.fromisoformat(stripped)
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(stripped)
    except ValueError:
        _not_a(
            kind, text, "an ISO 8601 date or time", "e.g. '2026-11-26' or '2026-11-26T09:00:00Z'"
        )


def _checked_pattern(kind: str, pattern: Any) -> str:
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


def _time_zone(name: Any) -> tzinfo:
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


def _not_a(kind: str, value: Any, what: str, fix: str | None = None) -> NoReturn:
    raise FilterError(f"{kind}: {value!r} is not {what}", fix=fix)
