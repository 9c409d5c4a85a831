"""How the journal keeps JSON text small: zlib-compressed, read back exactly as written.

Stored requests and answers are most of a journal (about 730 bytes per user sent as plain
text, for the reference message); compressed they take a fraction of that. Compression
is lossless, so a resume sends exactly the bytes that were rendered and hashed. Journals
written before compression hold plain text, which is read as it is.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Sequence
from typing import Any, Final

# zlib's default: level 9 saves 1-4% more bytes for twice the CPU.
LEVEL: Final = 6
# Pinpoint's StatusMessage of a delivered SMS repeats its message id ("MessageId: ..."):
# random text that compresses to ~26 bytes a copy. Stored as this marker instead.
_ECHO: Final = True
_ECHO_PREFIX: Final = "MessageId: "


def pack(text: str) -> bytes:
    """The stored form of ``text``."""
    return zlib.compress(text.encode(), LEVEL)


def unpack(stored: bytes | str) -> str:
    """The text that ``pack`` stored (plain text from older journals is returned as is)."""
    if isinstance(stored, str):
        return stored
    return zlib.decompress(stored).decode()


def pack_results(rows: Sequence[Sequence[Any]]) -> bytes:
    """Per-endpoint result rows (``ResultRow``), packed; ``unpack_results`` restores them."""
    compact = [
        [*row[:5], _ECHO] if row[4] and row[5] == _ECHO_PREFIX + row[4] else list(row)
        for row in rows
    ]
    return pack(json.dumps(compact, ensure_ascii=False, separators=(",", ":")))


def unpack_results(stored: bytes | str) -> list[Any]:
    """The rows ``pack_results`` stored (or an older journal's plain JSON array)."""
    rows: list[list[Any]] = json.loads(unpack(stored))
    for row in rows:
        if row[5] is _ECHO:
            row[5] = _ECHO_PREFIX + row[4]
    return rows
