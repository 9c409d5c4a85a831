"""The locale-aware filters: number, currency, percent, date, time and datetime."""

import re
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from babel import dates, localedata, numbers
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.errors import TemplateError
from pipeline.render.filters import LocaleFormats, cldr_locale
from pipeline.render.renderer import render_requests
from tests.helpers import build_tree

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
NNBSP, NBSP = "\u202f", "\xa0"  # CLDR's narrow no-break and no-break spaces


def render(root: Path, **options):
    return list(render_requests("m", "a", app_id="app-1", root=root, now=NOW, **options))


def body(tmp_path: Path, template: str, *, locale: str | None = None, **attributes) -> str:
    """The BodyOverride one user gets; ``locale`` is the user's."""
    user = {"id": "u-1", **({"locale": locale} if locale else {}), **attributes}
    message = {"MessageConfiguration": {"SMSMessage": {}}, "PerUser": {"BodyOverride": template}}
    tree = {
        "templates/m/message.yaml": yaml.safe_dump(message, allow_unicode=True),
        "audiences/a.yaml": yaml.safe_dump({"users": [user]}, allow_unicode=True),
    }
    [request] = render(build_tree(tmp_path, tree))
    return request["SendUsersMessageRequest"]["Users"]["u-1"]["BodyOverride"]


# --- numbers -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        (None, "1,250 points"),
        ("en-US", "1,250 points"),
        ("fr-FR", f"1{NNBSP}250 points"),
        ("fr-CA", f"1{NBSP}250 points"),
        ("de-DE", "1.250 points"),
        ("es-MX", "1,250 points"),
    ],
)
def test_number_in_the_users_locale(tmp_path, locale, expected):
    assert (
        body(tmp_path, "{{ user.points | number }} points", locale=locale, points=1250) == expected
    )


@pytest.mark.parametrize(
    ("value", "template", "expected"),
    [
        (9007199254740993, "{{ user.v | number }}", "9,007,199,254,740,993"),  # not via float
        (10**30 + 1, "{{ user.v | number }}", "1,000,000,000,000,000,000,000,000,000,001"),
        (-1234567, "{{ user.v | number }}", "-1,234,567"),
        (2.5, "{{ user.v | number }}", "2.5"),
        (2.5, "{{ user.v | number(0) }}", "3"),  # half up, not half even
        (-0.25, "{{ user.v | number(0) }}", "0"),  # no "-0"
        ("3.5", "{{ user.v | number }}", "3.5"),  # CSV values are strings: read as decimals
        ("3.5", "{{ user.v | number(0) }}", "4"),
        (" 12 ", "{{ user.v | number }}", "12"),
        (1.23456, "{{ user.v | number }}", "1.235"),  # the locale's three decimals at most
        (0.1, "{{ user.v | number(2) }}", "0.10"),
        (1250, "{{ user.v | number(2) }}", "1,250.00"),
        ("1234567.891", "{{ user.v | number(1) }}", "1,234,567.9"),
    ],
)
def test_numbers_are_exact_decimals(tmp_path, value, template, expected):
    assert body(tmp_path, template, v=value) == expected


def test_currency_and_percent(tmp_path):
    template = "{{ user.v | currency('EUR') }} {{ user.v | currency('jpy') }} {{ user.s | percent }} {{ user.s | percent(1) }}"
    assert body(tmp_path / "en", template, v=1250.5, s=0.125) == "€1,250.50 ¥1,251 13% 12.5%"
    assert body(tmp_path / "fr", template, locale="fr-FR", v=1250.5, s=0.125) == (
        f"1{NNBSP}250,50{NBSP}€ 1{NNBSP}251{NBSP}JPY 13{NBSP}% 12,5{NBSP}%"
    )


def test_integers_are_written_as_babel_writes_them_in_every_locale():
    """Integers take a faster path than Babel's; its text must be Babel's, everywhere."""
    values = [0, 7, -7, 999, 1000, -1250, 123456789, 10**18 + 3, -(10**20) - 1]  # Babel: 28 digits
    for tag in localedata.locale_identifiers():
        formats = LocaleFormats(tag.replace("_", "-"))
        for value in values:
            assert formats.format_number(value) == numbers.format_decimal(
                value, locale=formats.locale
            ), (tag, value)
            # A Decimal takes Babel's own path.
            assert formats.format_number(value, 2) == formats.format_number(Decimal(value), 2)


# --- dates and times ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        (None, "Thursday, November 26, 2026 | Nov 26, 2026 | 11/26/26"),
        ("en-GB", "Thursday, 26 November 2026 | 26 Nov 2026 | 26/11/2026"),
        ("fr-FR", "jeudi 26 novembre 2026 | 26 nov. 2026 | 26/11/2026"),
        ("de-DE", "Donnerstag, 26. November 2026 | 26.11.2026 | 26.11.26"),
        ("es-ES", "jueves, 26 de noviembre de 2026 | 26 nov 2026 | 26/11/26"),
    ],
)
def test_dates_in_the_users_language(tmp_path, locale, expected):
    template = "{{ now | date('full') }} | {{ now | date }} | {{ now | date('short') }}"
    assert body(tmp_path, template, locale=locale) == expected


def test_cldr_patterns_and_strftime(tmp_path):
    template = "{{ now | date('EEEE d MMMM') }}; {{ now | date('%d %B') }}; {{ now | time(\"HH 'h' mm\") }}"
    assert body(tmp_path, template, locale="fr-FR") == "jeudi 26 novembre; 26 November; 09 h 00"


def test_times_in_the_users_time_zone(tmp_path):
    template = "{{ now | datetime('short') }} / {{ now | time('HH:mm zzzz') }} / {{ now | date('%Y-%m-%d %H:%M') }}"
    assert body(tmp_path / "utc", template, locale="en-GB") == (
        "26/11/2026, 09:00 / 09:00 Coordinated Universal Time / 2026-11-26 09:00"
    )
    tokyo = body(tmp_path / "tokyo", template, locale="en-GB", time_zone="Asia/Tokyo")
    assert tokyo == "26/11/2026, 18:00 / 18:00 Japan Standard Time / 2026-11-26 18:00"
    la = body(tmp_path / "la", "{{ now | date('short') }}", time_zone="America/Los_Angeles")
    assert la == "11/26/26"
    early = body(
        tmp_path / "early",
        "{{ user.at | date('short') }}",
        at="2026-11-26T03:00:00Z",
        time_zone="America/Los_Angeles",
    )
    assert early == "11/25/26"


def test_data_values_as_iso_8601(tmp_path):
    template = "{{ user.day | date('long') }}; {{ user.naive | time('HH:mm') }}; {{ user.aware | time('HH:mm') }}"
    text = body(
        tmp_path,
        template,
        time_zone="Europe/Paris",
        day="2026-07-14",  # a calendar date: not moved by the time zone
        naive="2026-07-14T08:00:00",  # no offset: taken as UTC
        aware="2026-07-14T08:00:00+02:00",
    )
    assert text == "July 14, 2026; 10:00; 08:00"


def test_the_user_time_zone_reaches_macros_imported_without_context(tmp_path):
    tree = {
        "templates/_shared/when.j2": "{% macro when(at) %}{{ at | time('HH:mm') }}{% endmacro %}",
        "templates/m/message.yaml": """
            MessageConfiguration: {SMSMessage: {}}
            PerUser:
              BodyOverride: "{% import '_shared/when.j2' as w %}{{ w.when(now) }}"
        """,
        "audiences/a.yaml": "users:\n  - {id: u-1, time_zone: Asia/Kolkata}\n  - {id: u-2}\n",
    }
    [request] = render(build_tree(tmp_path, tree))
    users = request["SendUsersMessageRequest"]["Users"]
    assert (users["u-1"]["BodyOverride"], users["u-2"]["BodyOverride"]) == ("14:30", "09:00")


def test_named_formats_match_babels_own_formatting():
    moment = datetime(2026, 3, 1, 21, 5, 7, tzinfo=UTC)
    for tag in ("en-US", "fr-CA", "de-AT", "es-419", "ja", "ar-EG", "zh-Hant-TW", "hi", "pt-BR"):
        formats = LocaleFormats(tag)
        for name in ("short", "medium", "long", "full"):
            assert formats.format_date(moment, name) == dates.format_date(
                moment, name, locale=formats.locale
            )
            assert formats.format_time(moment, name) == dates.format_time(
                moment, name, tzinfo=UTC, locale=formats.locale
            )
            assert formats.format_datetime(moment, name) == dates.format_datetime(
                moment, name, tzinfo=UTC, locale=formats.locale
            )


# --- locales CLDR does not know ----------------------------------------------------------


@pytest.mark.parametrize(
    ("requested", "tag", "known"),
    [
        (None, "en", True),
        ("fr-CA", "fr-CA", True),
        ("fr_CA", "fr-CA", True),
        ("zh-TW", "zh-Hant-TW", True),
        ("fr-XX", "fr", False),
        ("xx-YY", "en", False),
        ("français", "en", False),
    ],
)
def test_cldr_locale_falls_back_along_the_chain(requested, tag, known):
    found = cldr_locale(requested)
    assert (found.tag, found.known) == (tag, known)


def test_an_unknown_locale_formats_as_its_language_then_english(tmp_path):
    template = "{{ user.points | number }} {{ now | date('long') }}"
    assert (
        body(tmp_path / "a", template, locale="fr-XX", points=1250)
        == f"1{NNBSP}250 26 novembre 2026"
    )
    assert body(tmp_path / "b", template, locale="xx-YY", points=1250) == "1,250 November 26, 2026"


# --- bad input: one line naming the field and the user ---------------------------------------


@pytest.mark.parametrize(
    ("template", "attributes", "expected"),
    [
        (
            "{{ 5 | currency('XYZ') }}",
            {},
            r"currency: 'XYZ' is not an ISO 4217 currency code .*; give the three-letter code",
        ),
        (
            "{{ now | date('Long') }}",
            {},
            r"date: 'Long' is not a CLDR pattern: 'o' is not a field .*; use short, medium, long or full",
        ),
        ('{{ now | time("HH \'h") }}', {}, r"time: the pattern .* has an unclosed quote"),
        (
            "{{ user.v | number }}",
            {"v": "1,250"},
            r"number: '1,250' is not a number .*; write digits with '\.'",
        ),
        ("{{ user.v | number }}", {"v": True}, r"number: True is not a number"),
        ("{{ user.v | number }}", {"v": "NaN"}, r"number: 'NaN' is not a finite number"),
        (
            "{{ 5 | number('2') }}",
            {},
            r"number: decimals must be a whole number from 0 to 20, not '2'",
        ),
        # A good call first: what it caches must not answer for the bad one.
        ("{{ 5 | number }}{{ 5 | number([2]) }}", {}, r"number: decimals must be .*, not \[2\]"),
        ("{{ now | date('') }}{{ now | date(['x']) }}", {}, r"date: the format must be text"),
        ("{{ 1 | currency('EUR') }}{{ 1 | currency(['EUR']) }}", {}, r"currency: \['EUR'\] is not"),
        (
            "{{ user.v | date }}",
            {"v": "next week"},
            r"date: 'next week' is not an ISO 8601 date or time .*; e\.g\. '2026-11-26'",
        ),
        (
            "{{ user.v | time }}",
            {"v": "2026-11-26"},
            r"time: 2026-11-26 is a date without a time of day",
        ),
        (
            "{{ user.v | date('HH:mm') }}",
            {"v": "2026-11-26"},
            r"date: the pattern 'HH:mm' needs a time of day",
        ),
        (
            "{{ now | date }}",
            {"time_zone": "Mars/Olympus"},
            r"the user's time_zone 'Mars/Olympus' is not an IANA time zone",
        ),
        (
            "{{ now | date }}",
            {"time_zone": "Europe"},
            r"the user's time_zone 'Europe' is not an IANA time zone",
        ),
        ("{{ user.missing | number }}", {}, r"undefined value: no key or attribute 'missing'"),
    ],
)
def test_bad_values_are_one_line_errors(tmp_path, template, attributes, expected):
    with pytest.raises(TemplateError) as caught:
        body(tmp_path, template, **attributes)
    text = str(caught.value)
    assert "\n" not in text
    assert re.search(expected, text), text
    assert re.match(rf"{re.escape(str(tmp_path))}/templates/m/message.yaml:\d+: ", text), text
    assert "(user 'u-1', field PerUser.BodyOverride)" in text


def test_the_cli_prints_one_error_line_without_a_traceback(tmp_path):
    tree = {
        "templates/m/message.yaml": """
            MessageConfiguration: {SMSMessage: {}}
            PerUser: {BodyOverride: "{{ user.v | currency('EURO') }}"}
        """,
        "audiences/a.yaml": "users:\n  - {id: u-7, v: 3}\n",
    }
    root = build_tree(tmp_path, tree)
    result = CliRunner().invoke(app, ["render", "m", "a", "--app-id", "x", "--root", str(root)])
    assert result.exit_code == 2
    [line] = result.stderr.splitlines()
    assert (
        line.startswith("Error: ") and "currency: 'EURO' is not an ISO 4217 currency code" in line
    )
    assert "user 'u-7'" in line and "Traceback" not in result.output


def test_decimal_values_from_code(tmp_path):
    formats = LocaleFormats("de-DE")
    assert formats.format_number(Decimal("1234.5")) == "1.234,5"
    assert formats.format_currency(Decimal("-0.004"), "EUR") == "0,00\xa0€"
