"""The sandbox's record of deliveries: one row per message it accepted for an endpoint.

A store file is SQLite; without one the rows are kept in a Python list (``MemoryStore``), which
SQLite's in-memory database only made slower. Both take the same rows and read back the same
deliveries. Table ``deliveries`` of a file (``seq`` gives the arrival order)::

    seq            INTEGER PRIMARY KEY
    request_id     the RequestId of the answer
    application_id the application id of the URL
    user_id        the user ('' for SendMessages)
    endpoint_id    the endpoint (the address for SendMessages ``Addresses``)
    channel        the endpoint's channel type (SMS, APNS, ...); an address's ChannelType as
                   sent (APNS_SANDBOX stays APNS_SANDBOX)
    address        the phone number, email address or device token
    message_id     the MessageId of the answer
    title          what the recipient sees as title or subject, NULL if none
    body           what the recipient sees as body (RawContent verbatim), NULL if none
    user_config    the user's (or address's) raw configuration from the request, as JSON

A store file keeps the rows of earlier sandbox runs; ``deliveries()`` returns only those of
this run. Writes are one transaction per HTTP request under a lock; a file store uses WAL
with ``synchronous=NORMAL``, which is durable against a crash of the process. A row carries
the user's configuration itself: a file encodes it as JSON when it writes the row; the list
drops it, as nothing reads it back from memory (encoding it was a tenth of the CPU of a
request), and rows of texts alone are tuples that Python's cyclic GC stops tracking.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from operator import itemgetter
from pathlib import Path
from typing import Any, Final, Protocol

from pipeline.api import to_json
from pipeline.errors import InputError, StorageError

# SQLite's primary result codes that say the machine refused, not that the file is wrong:
# SQLITE_PERM, SQLITE_READONLY, SQLITE_IOERR, SQLITE_FULL, SQLITE_CANTOPEN.
_MACHINE_ERRORS: Final = frozenset({3, 8, 10, 13, 14})

# request_id, application_id, user_id, endpoint_id, channel, address, message_id, title,
# body, user_config: the order of the table's columns after ``seq``. The configuration is the
# request's own mapping, JSON only in a file.
Row = tuple[str, str, str, str, str, str, str, str | None, str | None, Mapping[str, Any]]
_Texts = tuple[str, str, str, str, str, str, str, str | None, str | None]  # a Row's texts

_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS deliveries (
    seq INTEGER PRIMARY KEY,
    request_id TEXT NOT NULL,
    application_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    endpoint_id TEXT NOT NULL,
    channel TEXT NOT NULL,
    address TEXT NOT NULL,
    message_id TEXT NOT NULL,
    title TEXT,
    body TEXT,
    user_config TEXT NOT NULL
)
"""
_WIDTH: Final = 10  # values per row
_ROWS_PER_INSERT: Final = 100


@cache
def _insert(count: int) -> str:
    """An INSERT of ``count`` rows in one statement.

    One statement is one ``sqlite3_step``, and so one release of the GIL, where
    ``executemany`` releases and re-takes it for every row: with many server threads each
    hand-over costs a thread switch, which doubled the CPU per request.
    """
    values = ",".join(["(?,?,?,?,?,?,?,?,?,?)"] * count)
    return (
        "INSERT INTO deliveries (request_id, application_id, user_id, endpoint_id, channel,"
        f" address, message_id, title, body, user_config) VALUES {values}"
    )


_SELECT: Final = (
    "SELECT user_id, endpoint_id, channel, address, message_id, request_id, body, title,"
    " application_id FROM deliveries WHERE seq > ? ORDER BY seq"
)
# A row's values in the order of _SELECT's columns, which is Delivery's.
_DELIVERY_COLUMNS: Final = itemgetter(2, 3, 4, 5, 6, 0, 8, 7, 1)
_COUNTS: Final = (
    "SELECT user_id, endpoint_id, COUNT(*) FROM deliveries WHERE seq > ?"
    " GROUP BY user_id, endpoint_id"
)


@dataclass(frozen=True, slots=True)
class Delivery:
    """One message the sandbox accepted for one endpoint."""

    user_id: str
    endpoint_id: str
    channel: str
    address: str
    message_id: str
    request_id: str
    body: str | None
    title: str | None
    application_id: str = ""


class Store(Protocol):
    """What the sandbox needs of a record of deliveries (``DeliveryStore``, ``MemoryStore``)."""

    def record(self, rows: Sequence[Row], *, checked_text: bool = False) -> None:
        """Append the deliveries of one request, all or none.

        ``checked_text``: no text of the rows can hold a lone surrogate (UTF-8 encodes them).
        """

    def deliveries(self) -> list[Delivery]:
        """Every delivery recorded since this store was opened, in arrival order."""

    def delivery_counts(self) -> dict[tuple[str, str], int]:
        """How many deliveries each (user id, endpoint id) got since the store was opened."""

    def close(self) -> None:
        """Release what the store holds open."""


def open_store(path: Path | None) -> Store:
    """The store file at ``path`` (see ``DeliveryStore``); in memory without one.

    Raises:
        InputError: The file cannot be opened or is not a sandbox store.
    """
    return MemoryStore() if path is None else DeliveryStore(path)


class MemoryStore:
    """The record of deliveries as a list of rows, for a sandbox without a store file."""

    def __init__(self) -> None:
        self._rows: list[_Texts] = []
        self._lock = threading.Lock()

    def record(self, rows: Sequence[Row], *, checked_text: bool = False) -> None:
        """Append the deliveries of one request, all or none.

        Raises:
            UnicodeEncodeError: A text holds a lone surrogate, which UTF-8 cannot encode and a
                store file's SQLite refuses; unless ``checked_text`` says that none can.
        """
        if not checked_text:
            _columns(rows, check=True)
        texts = [row[:9] for row in rows]
        with self._lock:
            self._rows.extend(texts)

    def deliveries(self) -> list[Delivery]:
        """Every delivery recorded, in arrival order."""
        with self._lock:
            rows = list(self._rows)
        return [Delivery(*_DELIVERY_COLUMNS(row)) for row in rows]

    def delivery_counts(self) -> dict[tuple[str, str], int]:
        """How many deliveries each (user id, endpoint id) got."""
        with self._lock:
            return dict(Counter((row[2], row[3]) for row in self._rows))

    def close(self) -> None:
        """Nothing to release: the rows stay readable."""


def _columns(rows: Sequence[Row], *, check: bool = False) -> list[str | None]:
    """The rows' values in column order, each configuration as its JSON text.

    Raises:
        UnicodeEncodeError: With ``check``, a text holds a lone surrogate (as SQLite raises).
    """
    values: list[str | None] = []
    configs: dict[int, str] = {}  # id -> JSON: a user's endpoints share one configuration
    for row in rows:
        values.extend(row[:9])
        config = row[9]
        text = configs.get(id(config))
        if text is None:
            text = configs[id(config)] = to_json(config)
        values.append(text)
    if check:
        for value in values:
            if value is not None:
                value.encode()
    return values


class DeliveryStore:
    """The SQLite record of deliveries in a file, shared by the server's threads."""

    def __init__(self, path: Path) -> None:
        """Open (or create) the store at ``path``.

        Raises:
            InputError: The file cannot be opened or is not a sandbox store.
        """
        self.path = path
        self._lock = threading.Lock()
        try:
            # It records every delivered text, like the journal: private to its owner.
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            if not path.exists():
                os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
            self._connection = sqlite3.connect(path, check_same_thread=False)
        except (OSError, sqlite3.Error) as exc:
            raise InputError(f"cannot open the sandbox store: {exc}", path=path) from exc
        try:
            self._connection.execute("PRAGMA journal_mode=WAL")
            self._connection.execute("PRAGMA synchronous=NORMAL")
            with self._connection:
                self._connection.execute(_SCHEMA)
            row = self._connection.execute("SELECT COALESCE(MAX(seq), 0) FROM deliveries")
            self._first_seq: int = row.fetchone()[0]
        except sqlite3.Error as exc:
            self._connection.close()
            if getattr(exc, "sqlite_errorcode", 0) & 0xFF in _MACHINE_ERRORS:
                raise StorageError(
                    f"cannot write the sandbox store: {exc}",
                    path=path,
                    fix="free some disk space, or give --store a path you may write",
                ) from exc
            raise InputError(
                f"not a sandbox store: {exc}",
                path=path,
                fix="give another --store path, or delete the file",
            ) from exc

    def record(self, rows: Sequence[Row], *, checked_text: bool = False) -> None:  # noqa: ARG002
        """Append the deliveries of one request, in one transaction (SQLite checks the text)."""
        if not rows:
            return
        values = _columns(rows)
        with self._lock, self._connection:
            for start in range(0, len(rows), _ROWS_PER_INSERT):
                count = min(_ROWS_PER_INSERT, len(rows) - start)
                chunk = values[start * _WIDTH : (start + count) * _WIDTH]
                self._connection.execute(_insert(count), chunk)

    def deliveries(self) -> list[Delivery]:
        """Every delivery recorded since this store was opened, in arrival order."""
        with self._lock:
            rows = self._connection.execute(_SELECT, (self._first_seq,)).fetchall()
        return [Delivery(*row) for row in rows]

    def delivery_counts(self) -> dict[tuple[str, str], int]:
        """How many deliveries each (user id, endpoint id) got since the store was opened."""
        with self._lock:
            rows = self._connection.execute(_COUNTS, (self._first_seq,)).fetchall()
        return {(user, endpoint): count for user, endpoint, count in rows}

    def close(self) -> None:
        """Close the database connection."""
        with self._lock:
            self._connection.close()
