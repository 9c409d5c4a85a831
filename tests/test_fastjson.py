import json
import random

import pytest

from pipeline import fastjson
from pipeline.api import to_json

EDGE_CASES = [
    '{"a":1,"a":2}',
    "-0",
    "-0.0",
    "1E400",
    "-1e400",
    "1.7976931348623157e308",
    "5e-324",
    "1e-400",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775809",
    "18446744073709551616",
    "123456789012345678901234567890",
    '{"n": [1, 123456789012345678901234567890]}',
    '"\\ud800"',
    '"\\ud83d\\ude00"',
    "NaN",
    "[Infinity, -Infinity]",
    ' {"a" : [ 1 , 2 ] } \n',
    '"a\\u0000b\\u2028"',
    '{"":null,"é":true}',
    '{"Address":"cd3060de9abba8ae04c44d2d627ca190f9780513618758899484c08a3cd55881"}',
    '{"t":"1234567890123456789012","u":"x:1234567890123456789012"}',
    '[1.12345678901234567890123, 1e0000000000000000000001, -0.00000000000000000000001]',
]
NOT_JSON = ["[1,2,]", "\ufeff{}", '"\x01"', "01", "1.", ".5", '"\\x"', "tru", '{"k":"v"}x', ""]


@pytest.mark.parametrize("text", EDGE_CASES)
def test_the_value_is_the_standard_librarys(text):
    expected = json.loads(text)
    for given in (text, text.encode()):
        value = fastjson.loads(given)
        assert repr(value) == repr(expected)
        assert type(value) is type(expected)


def test_integers_beyond_64_bits_stay_integers():
    assert fastjson.loads('{"code": 123456789012345678901234567890}') == {
        "code": 123456789012345678901234567890
    }


@pytest.mark.parametrize(
    ("text", "suspect"),
    [
        (b'{"t":"ab1234567890123456789012"}', False),  # inside a string
        (b'{"t":"ab123456789012345678"}', False),  # 18 digits
        (b'{"n":1234567890123456789}', True),
        (b"[-1234567890123456789012]", True),
        (b"1234567890123456789", True),
        (b'{"f":1.1234567890123456789}', True),
        (b'{"e":1e1234567890123456789}', True),
        (b'{"n": 1234567890123456789}', True),
        (b'{"t":"x:1234567890123456789012"}', True),  # could be a number: json reads it
        (b'{"t":"a' + b"9" * 40 + b'","n":[1,' + b"2" * 19 + b"]}", True),
    ],
)
def test_numbers_of_19_digits_are_found_and_strings_mostly_let_be(text, suspect):
    assert fastjson.may_hold_long_number(text) is suspect


@pytest.mark.parametrize("text", NOT_JSON)
def test_the_error_is_the_standard_librarys(text):
    with pytest.raises(json.JSONDecodeError) as expected:
        json.loads(text)
    with pytest.raises(json.JSONDecodeError) as raised:
        fastjson.loads(text)
    assert str(raised.value) == str(expected.value)


def _random_value(rng: random.Random, depth: int = 0) -> object:
    kind = rng.randrange(8 if depth < 4 else 5)
    if kind == 0:
        return rng.choice([None, True, False])
    if kind == 1:
        return rng.randint(-(2**70), 2**70) if rng.random() < 0.2 else rng.randint(-999, 999)
    if kind == 2:
        return rng.choice([0.1, -2.5e-300, 1e21, 3.0, rng.random() * 10 ** rng.randint(-30, 30)])
    if kind in (3, 4):
        return "".join(rng.choice('ab "\\\n\té😀\u2028\x00') for _ in range(rng.randint(0, 8)))
    if kind == 5:
        return [_random_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return {str(_random_value(rng, 4)): _random_value(rng, depth + 1) for _ in range(rng.randint(0, 4))}


@pytest.mark.parametrize("seed", range(20))
def test_random_documents_read_as_the_standard_library_reads_them(seed):
    rng = random.Random(seed)
    for _ in range(50):
        text = json.dumps(_random_value(rng), ensure_ascii=rng.random() < 0.5)
        assert repr(fastjson.loads(text)) == repr(json.loads(text))


def _without_floats(value: object) -> object:
    if isinstance(value, float):
        return str(value)
    if isinstance(value, list):
        return [_without_floats(item) for item in value]
    if isinstance(value, dict):
        return {key: _without_floats(item) for key, item in value.items()}
    return value


def test_dumps_writes_to_jsons_bytes_for_every_character():
    characters = [chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    for start in range(0, len(characters), 4096):
        text = "".join(characters[start : start + 4096])
        value = {text: [text, {"k": text}]}
        assert fastjson.dumps(value) == to_json(value)


@pytest.mark.parametrize("seed", range(20))
def test_dumps_writes_to_jsons_bytes_for_values_without_floats(seed):
    rng = random.Random(seed)
    for _ in range(50):
        value = _without_floats(_random_value(rng))
        assert fastjson.dumps(value) == to_json(value)


@pytest.mark.parametrize(
    "value",
    [
        {"x": "\ud800"},  # a lone surrogate, which UTF-8 cannot encode
        {1: "a"},  # a key json turns into text
        [2**64, -(2**63) - 1],  # integers beyond 64 bits
        {"nested": [[[[["deep"]]]]] * 3},
    ],
)
def test_dumps_falls_back_to_to_json_where_orjson_refuses(value):
    assert fastjson.dumps(value) == to_json(value)


def test_dumps_keeps_a_lone_surrogate_as_to_json_does():
    # Left for the UTF-8 check that names it (``pipeline.api.request_bytes``).
    assert fastjson.dumps({"x": "\ud800"}) == to_json({"x": "\ud800"}) == '{"x":"\ud800"}'
