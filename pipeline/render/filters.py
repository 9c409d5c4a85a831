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

from collections.abc import Mapping
from datetime import UTC, date, datetime, tzinfo
from typing import Any

import jinja2
from babel import dates, numbers

from pipeline.render.cldr import (
    FORMAT_NAMES,
    NUMBER_PART,
    FilterError,
    IntegerFormat,
    apply_number,
    checked_pattern,
    cldr_locale,
    currency_codes,
    not_a,
    parse_iso,
    time_zone,
    to_decimal,
)

__all__ = ["FilterError", "LocaleFormats", "cldr_locale"]

# A number pattern of the locale, and its fast path for integers when it has one.
_NumberFormat = tuple[numbers.NumberPattern, IntegerFormat | None]


class LocaleFormats:
    """The formatting filters of one locale, with its patterns parsed once."""

    def __init__(self, locale: str | None) -> None:
        self.cldr = cldr_locale(locale)
        self.locale = self.cldr.babel
        self.scope: Mapping[str, Any] = {}
        self._numbers: dict[tuple[str, int | None], _NumberFormat] = {}
        self._moments: dict[tuple[str, str | None], dates.DateTimePattern] = {}
        self._currencies: dict[str | None, tuple[str, int]] = {}
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
        pattern, integers = self._numbers.get(("decimal", _whole(decimals))) or (
            self._number_pattern("decimal", decimals)
        )
        if integers is not None and type(value) is int:
            return integers.format(value)
        return apply_number(pattern, to_decimal(value, "number"), self.locale)

    def format_percent(self, value: Any, decimals: int = 0) -> str:
        """A share as a percentage: ``{{ 0.125 | percent }}`` is 13%, ``percent(1)`` 12.5%."""
        pattern, _ = self._numbers.get(("percent", _whole(decimals))) or (
            self._number_pattern("percent", decimals)
        )
        return apply_number(pattern, to_decimal(value, "percent"), self.locale)

    def format_currency(self, value: Any, code: Any) -> str:
        """An amount of money: ``{{ 1250.5 | currency('EUR') }}`` is €1,250.50 (en)."""
        currency, digits = self._currencies.get(_text(code)) or self._currency(code)
        pattern, _ = self._numbers.get(("currency", None)) or self._number_pattern("currency", None)
        return apply_number(pattern, to_decimal(value, "currency"), self.locale, currency, digits)

    def _number_pattern(self, kind: str, decimals: Any) -> _NumberFormat:
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
                text = NUMBER_PART.sub(lambda m: m.group(1) + fraction, pattern.pattern)
                pattern = numbers.parse_pattern(text)
        found = self._numbers[(kind, decimals)] = (pattern, IntegerFormat.of(pattern, self.locale))
        return found

    def _currency(self, code: Any) -> tuple[str, int]:
        if not isinstance(code, str) or code.upper() not in currency_codes():
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
        pattern = self._moments.get((kind, _text(format))) or self._moment_pattern(kind, format)
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
            value = parse_iso(kind, value)
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
        not_a(kind, value, "a date or a time")

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
            pattern = dates.parse_pattern(checked_pattern(kind, format))
        self._moments[(kind, format)] = pattern
        return pattern

    def _zone(self) -> tzinfo:
        user = self.scope.get("user")
        name = user.get("time_zone") if type(user) is dict else None
        if not name:
            return UTC
        zone = self._zones.get(name)
        if zone is None:
            zone = self._zones[name] = time_zone(name)
        return zone


def _whole(value: Any) -> int | None:
    """``decimals`` as a cache key: unhashable or wrong types map to -1, never cached."""
    return value if value is None or type(value) is int else -1


def _text(value: Any) -> str | None:
    """A currency code or a format as a cache key: None (never cached) unless text."""
    return value if type(value) is str else None
