r"""JSON read and written with orjson where it gives what the standard library gives.

A send parses every stored request it sends and every answer it gets, and the summary
parses every answer's results again: about 100 KB of JSON per 100 users. orjson reads it
2-2.5 times as fast as ``json`` (``benchmarks/bench_send.py``). Its values are the
standard library's for all but three kinds of text, which go to ``json`` instead:

- what orjson refuses (``NaN``, ``Infinity``, numbers beyond a double, lone surrogates,
  invalid JSON): ``json`` then returns its value, or raises its own error;
- integers beyond 64 bits, which orjson reads as floats, silently: any text with a run of
  19 or more digits that may be a number (``may_hold_long_number``) is read by ``json``.

Its errors are ``json``'s as well, which is what an audience file's line errors quote;
audience lines, stored requests, answers and the sandbox's requests are all read here.

``dumps`` writes what ``pipeline.api.to_json`` writes, 4-17 times as fast, for values of
strings, integers, booleans, None, lists and dicts with string keys: orjson escapes the
same characters the same way (``"``, ``\``, controls as ``\n`` or ``\u001f``, all else
kept as UTF-8). Floats are the exception (orjson writes ``1e16`` where ``json`` writes
``1e+16``), so it is only for values that cannot hold one: validated requests, rendered
texts, result rows.
"""

from __future__ import annotations

import json
from typing import Any, Final

import orjson

# 2**63 has 19 digits: a shorter run of digits is an integer orjson reads exactly. Runs
# are found by mapping every digit to "0" (a C table lookup per byte, several times as fast
# as a regular expression) and looking for nineteen zeros.
_DIGITS_AS_ZERO: Final = bytes.maketrans(b"123456789", b"000000000")
_LONG_RUN: Final = b"0" * 19
# What may come just before the first digit of a number (its sign, its exponent, its
# fraction, the token before it). A run of digits after anything else is inside a string,
# such as an APNs device token: orjson reads strings exactly.
_BEFORE_NUMBER: Final = frozenset(b"-+.eE:[, \t\n\r")
# ``pipeline.api.to_json``'s encoder, for what orjson refuses to write.
_COMPACT_JSON: Final = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def loads(text: str | bytes) -> Any:
    """``json.loads(text)``, faster: the same value for every text, the same errors."""
    try:
        data = text.encode() if isinstance(text, str) else text
    except UnicodeEncodeError:  # a lone surrogate: only the standard library reads it
        return json.loads(text)
    if not may_hold_long_number(data):
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError:
            pass  # the standard library reads it, or raises its own error
    return json.loads(text)


def dumps(value: Any) -> str:
    """``to_json(value)`` for a value without floats (see the module docstring)."""
    return dumps_utf8(value).decode(errors="surrogatepass")


def dumps_utf8(value: Any) -> bytes:
    """``dumps(value)`` as UTF-8, a lone surrogate written as ``surrogatepass`` writes it."""
    try:
        return orjson.dumps(value)
    except TypeError:  # a lone surrogate, a non-string key, an integer beyond 64 bits...
        return _COMPACT_JSON.encode(value).encode(errors="surrogatepass")


def may_hold_long_number(data: bytes) -> bool:
    """Whether a number of 19 digits or more may be in JSON ``data`` (a string may not)."""
    zeros = data.translate(_DIGITS_AS_ZERO)
    start = zeros.find(_LONG_RUN)
    while start != -1:
        if start == 0 or data[start - 1] in _BEFORE_NUMBER:
            return True
        # Past this window: a window found inside the same run follows a digit, and the
        # run's first digit was just checked.
        start = zeros.find(_LONG_RUN, start + len(_LONG_RUN))
    return False
