"""split_sms: the parts an SMS is cut into, always as many as analyze_sms bills."""

import random

import pytest

from pipeline.pinpoint.sms import analyze_sms, split_sms


@pytest.mark.parametrize(
    ("text", "lengths"),
    [
        ("", []),
        ("hello", [5]),
        ("a" * 160, [160]),  # one GSM-7 message holds 160
        ("a" * 161, [153, 8]),  # then parts of 153
        ("’" + "a" * 69, [70]),  # one UCS-2 message holds 70
        ("’" + "a" * 70, [67, 4]),  # then parts of 67
        ("a" * 152 + "€" + "a" * 10, [152, 11]),  # an escape pair never straddles a cut
        ("a" * 66 + "😀" + "a" * 10, [66, 11]),  # nor does a surrogate pair
    ],
)
def test_parts_are_cut_where_an_sms_centre_cuts_them(text, lengths):
    parts = split_sms(text)
    assert [len(part) for part in parts] == lengths
    assert "".join(parts) == text


def test_parts_always_match_the_billed_count():
    randomness = random.Random(13)
    alphabet = "ab €{’😀 \n"
    for _ in range(2000):
        text = "".join(randomness.choice(alphabet) for _ in range(randomness.randint(0, 500)))
        parts = split_sms(text)
        assert "".join(parts) == text
        assert len(parts) == analyze_sms(text).parts, text
