"""Text no message can carry: a NUL, and a lone surrogate, found anywhere in decoded data."""

import pytest

from pipeline.unsendable import ESCAPES, find_unsendable


@pytest.mark.parametrize(
    ("value", "found"),
    [
        ({"a": ["ok", {"b": "x\x00"}]}, "\x00"),
        ({"key\ud800": 1}, "\ud800"),
        (("a", "\udfff"), "\udfff"),
        ({"a": ["ok", 1, None, {"b": "é \U0001f600"}]}, None),
    ],
)
def test_find_unsendable_looks_into_keys_values_and_lists(value, found):
    assert find_unsendable(value) == found


@pytest.mark.parametrize(
    ("text", "matches"),
    [
        (r'"\u0000"', True),
        (r'"\ud800"', True),
        (r'"\uDBFF"', True),
        (r'"\0"', True),
        (r'"\U0000D800"', True),
        (r'"\u00e9"', False),
        ('"plain text"', False),
    ],
)
def test_escapes_that_may_write_one_are_found_in_the_text(text, matches):
    assert bool(ESCAPES.search(text)) is matches
