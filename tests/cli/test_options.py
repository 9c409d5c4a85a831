"""Options shared by the commands: --var KEY=VALUE and --now, read the same everywhere."""

from datetime import UTC, datetime, timedelta

import pytest

from pipeline.cli.options import parse_now, parse_vars
from pipeline.errors import InputError


def test_vars_are_key_value_pairs_kept_as_text():
    assert parse_vars(["url=https://a.example/?q=1", " name =Zoë", "empty=", "n=3"]) == {
        "url": "https://a.example/?q=1",
        "name": "Zoë",
        "empty": "",
        "n": "3",
    }
    assert parse_vars(None) == {}
    assert parse_vars(["k=1", "k=2"]) == {"k": "2"}  # the last one wins


@pytest.mark.parametrize("pair", ["novalue", "=value", "  =value"])
def test_a_var_without_a_key_is_a_usage_error(pair):
    with pytest.raises(InputError, match=r"--var .* is not KEY=VALUE") as caught:
        parse_vars([pair])
    assert caught.value.exit_code == 2


@pytest.mark.parametrize(
    ("text", "moment"),
    [
        ("2026-11-26T09:00:00Z", datetime(2026, 11, 26, 9, 0, tzinfo=UTC)),
        ("2026-11-26T10:30:00+01:30", datetime(2026, 11, 26, 9, 0, tzinfo=UTC)),
        ("2026-11-26T09:00:00", datetime(2026, 11, 26, 9, 0, tzinfo=UTC)),  # naive: UTC
        ("2026-11-26", datetime(2026, 11, 26, tzinfo=UTC)),
    ],
)
def test_now_is_read_as_a_utc_moment(text, moment):
    parsed = parse_now(text)
    assert parsed == moment
    assert parsed.utcoffset() == timedelta(0)


def test_without_now_the_clock_is_the_current_second_in_utc():
    parsed = parse_now(None)
    assert parsed.tzinfo is not None and parsed.utcoffset() == timedelta(0)
    assert parsed.microsecond == 0


def test_a_now_that_is_no_date_is_a_usage_error():
    with pytest.raises(InputError, match=r"--now 'next tuesday' is not an ISO 8601 date and time"):
        parse_now("next tuesday")


def test_the_api_choices_are_the_apis_of_the_model():
    from pipeline.api import APIS
    from pipeline.cli.options import Api

    assert tuple(api.value for api in Api) == APIS
