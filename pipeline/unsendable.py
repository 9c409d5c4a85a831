r"""Text that no message can carry: a NUL character, and a lone surrogate.

A NUL (U+0000) is almost always a damaged export; a lone surrogate (``\ud800`` in JSON,
an undecodable byte of a command line) is no character at all, and cannot be encoded to
be sent. Decoders write both from escapes, so data is looked into only where an escape
that writes one appears (``ESCAPES``), and raw NULs are found in the raw text.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pipeline.errors import InputError

# The escapes that write a NUL or a surrogate in JSON or YAML text. A text without one
# cannot hold either once decoded, unless it holds a raw NUL.
ESCAPES = re.compile(r"\\(?:0|x00|u0000|U00000000|[uU]0*[dD][89a-fA-F][0-9a-fA-F]{2})")
_UNSENDABLE = re.compile("[\x00\ud800-\udfff]")


def find_unsendable(value: Any) -> str | None:
    """The first NUL or lone surrogate in a value's strings (keys included), or None."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            found = _UNSENDABLE.search(item)
            if found is not None:
                return found.group()
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return None


def describe(character: str) -> tuple[str, str]:
    """What an unsendable character is, and the fix, for an error message."""
    if character == "\x00":
        return "a NUL character (U+0000)", "remove it (a NUL is usually a sign of a damaged file)"
    return (
        f"a lone surrogate (U+{ord(character):04X})",
        r"a surrogate is no character and cannot be encoded: they come in pairs, "
        r"e.g. \ud83d\ude00 for one emoji; fix what wrote it",
    )


def check_sendable(
    value: Any, error: type[InputError], path: Path, line: int | None = None
) -> None:
    """Raise ``error`` at ``path:line`` if a value holds a NUL or a lone surrogate."""
    found = find_unsendable(value)
    if found is not None:
        raise unsendable_error(found, error, path, line)


def unsendable_error(
    character: str, error: type[InputError], path: Path, line: int | None = None
) -> InputError:
    """The error of ``error``'s kind for an unsendable character found in a file's data."""
    what, fix = describe(character)
    return error(f"{what} in the data", path=path, line=line, fix=fix)
