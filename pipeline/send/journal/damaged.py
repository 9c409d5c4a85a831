"""A journal whose rows are not what the pipeline writes: one line and exit 3, no traceback."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pipeline.errors import JournalError

# What reading rows that the pipeline did not write can raise: SQLite's own errors, and
# the values' (a JSON text that is none, a state nobody knows, a row of the wrong length).
_DAMAGE = (sqlite3.Error, ValueError, LookupError, TypeError)


@contextmanager
def reading(path: Path) -> Iterator[None]:
    """Read a journal, reporting what its rows make fail as a damaged journal.

    Raises:
        JournalError: The journal's rows are not what the pipeline writes.
    """
    try:
        yield
    except _DAMAGE as exc:
        raise JournalError(
            f"the journal {path} is damaged or not a pipeline journal "
            f"({type(exc).__name__}: {exc})",
            fix="restore it from a backup, or pass --journal PATH to use another",
        ) from exc
