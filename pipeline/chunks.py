"""Chunks: an audience cut into parts that worker processes read on their own.

A chunk of a JSON Lines or CSV file is a range of bytes that starts and ends at a record
boundary, with the number of its first line, so a worker reads exactly the records (and
reports exactly the lines) a whole read would. The parent finds the boundaries by reading
the file once, counting line feeds; it parses nothing, except a CSV range with a quote in
it, whose rows may span lines. A YAML audience is parsed whole before the workers are
forked, so its chunks are ranges of its users list.

Each chunk is read without the others, so an id repeated in two chunks is caught by the
parent (``IdsAcrossChunks``), which sees every chunk's ids in audience order and names
both lines, as a whole read does.
"""

from __future__ import annotations

import csv
import os
from array import array
from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Final

from pipeline.audience import (
    AddressNote,
    Audience,
    Tally,
    User,
    address_book,
    address_fail,
    checked_users,
)
from pipeline.errors import AddressError, AudienceError
from pipeline.idindex import IdIndex
from pipeline.shard import Shard

# About 2,000 users of a typical export per chunk: enough work to make its pickling and
# bookkeeping negligible, small enough that the last chunks keep every worker busy.
CHUNK_BYTES: Final = 256 * 1024
CHUNK_USERS: Final = 2_000  # a YAML audience's users per chunk
# Near the end of a file the chunks shrink (to an eighth of what is left, down to this), so
# the workers finish together instead of one waiting out the other's last full chunk.
TAIL_BYTES: Final = 32 * 1024
TAIL_SHARE: Final = 8


@dataclass(frozen=True, slots=True)
class Chunk:
    """A part of an audience: bytes ``start`` to ``stop`` of its file, or users of a YAML list.

    Attributes:
        number: Its place among the audience's chunks, from 0.
        start: Where it starts: a byte offset, or an index into the YAML users.
        stop: Where it ends (excluded).
        first_line: The file's line number at ``start``.
    """

    number: int
    start: int
    stop: int
    first_line: int = 1


def split_audience(
    audience: Audience, *, chunk_bytes: int | None = None, chunk_users: int | None = None
) -> Iterator[Chunk]:
    """The audience's chunks, in order; they cover every user exactly once.

    The sizes default to ``CHUNK_BYTES`` and ``CHUNK_USERS``, read when called.
    """
    chunk_bytes = chunk_bytes or CHUNK_BYTES
    chunk_users = chunk_users or CHUNK_USERS
    if audience.yaml_users is not None:
        count = len(audience.yaml_users)
        for number, start in enumerate(range(0, count, chunk_users)):
            yield Chunk(number, start, min(start + chunk_users, count))
        return
    try:
        stream = audience.path.open("rb")
    except OSError as exc:
        raise AudienceError(f"cannot read the file: {exc.strerror}", path=audience.path) from exc
    with stream:
        total = os.fstat(stream.fileno()).st_size
        yield from _byte_chunks(stream, chunk_bytes, total, csv_rows=audience.format == "csv")


def _byte_chunks(stream: IO[bytes], size: int, total: int, *, csv_rows: bool) -> Iterator[Chunk]:
    start, line, number = 0, 1, 0
    while True:
        wanted = _chunk_size(size, total - start)
        data = stream.read(wanted)
        if not data:
            return
        if not data.endswith(b"\n"):
            data += stream.readline()
        if csv_rows and b'"' in data:
            # A quoted cell may hold a line feed: let the csv module say where rows end.
            stop, lines = _csv_row_boundary(stream, start, wanted)
        else:
            stop, lines = start + len(data), data.count(b"\n")
        yield Chunk(number, start, stop, line)
        start, line, number = stop, line + lines, number + 1
        stream.seek(stop)


def _chunk_size(size: int, remaining: int) -> int:
    """The next chunk's size: ``size``, or less near the end (never below ``TAIL_BYTES``)."""
    if size <= TAIL_BYTES:
        return size
    return max(TAIL_BYTES, min(size, remaining // TAIL_SHARE))


def _csv_row_boundary(stream: IO[bytes], start: int, size: int) -> tuple[int, int]:
    """The end of the first CSV row ending ``size`` bytes or more after ``start``.

    Returns it with the number of lines up to it. A malformed row ends the chunk at the end
    of the file: its worker reads it exactly as a whole read would, and reports it.
    """
    stream.seek(start)
    consumed = [0, 0]  # bytes, lines

    def lines() -> Iterator[str]:
        for raw in stream:
            consumed[0] += len(raw)
            consumed[1] += 1
            # Replacement characters keep the rows' shape; the worker reports bad UTF-8.
            yield raw.decode("utf-8", "replace")

    try:
        for _ in csv.reader(lines(), strict=True):
            if consumed[0] >= size:
                break
    except csv.Error:
        for _ in lines():
            pass
    return start + consumed[0], consumed[1]


@dataclass(slots=True)
class ChunkRead:
    """What reading a chunk notes for the checks across chunks (``IdsAcrossChunks``).

    Attributes:
        ids: The users' ids, in order (up to the one an error stopped at, when its id was
            read).
        lines: Their lines.
        places: Their places among the chunk's records.
        notes: Every record's addresses, whichever shard its user is in.
        tally: The records read, once the chunk is read to its end.
    """

    ids: list[str] = field(default_factory=list)
    lines: array[int] = field(default_factory=lambda: array("L"))
    places: array[int] = field(default_factory=lambda: array("L"))
    notes: list[AddressNote] = field(default_factory=list)
    tally: Tally = field(default_factory=Tally)


def read_chunk(
    audience: Audience, chunk: Chunk, shard: Shard | None = None
) -> tuple[Iterator[User], ChunkRead]:
    """The users of one chunk (of ``shard``), checked as far as a chunk can be, and its notes."""
    read = ChunkRead()
    records = audience.records(chunk.start, chunk.stop, first_line=chunk.first_line)
    users = checked_users(
        audience,
        records,
        shard=shard,
        tally=read.tally,
        notes=read.notes,
        places=read.places,
        offset=chunk.start if audience.yaml_users is not None else 0,
    )

    def noted() -> Iterator[User]:
        ids, lines = read.ids, read.lines
        for user in users:
            ids.append(user.id)
            lines.append(user.line)
            yield user

    return noted(), read


class IdsAcrossChunks:
    """The checks of a whole read across chunks read apart: ids and addresses, in order.

    A chunk notes its users' ids and places among its records, and every record's
    addresses (``checked_users``); this checks them against the earlier chunks', as one
    read would have: the first problem in record order wins (at one record, the id's).
    """

    def __init__(self, audience: Audience) -> None:
        self._audience = audience
        self._seen = IdIndex()
        self._book = address_book(audience)
        self._records = 0  # of the chunks checked so far

    def first_duplicate(self, read: ChunkRead) -> tuple[int, AudienceError] | None:
        """The next chunk's first repeated id or address: the users before it, and its error."""
        ids, lines, places, notes = read.ids, read.lines, read.places, read.notes
        add, audience = self._seen.add, self._audience
        found: tuple[int, int, AudienceError] | None = None  # (place, users before, error)
        for index, user_id in enumerate(ids):
            if not add(user_id) and (error := audience.duplicate(user_id, lines[index])):
                found = (places[index], index, error)
                break
        for place, user_id, line, addresses in notes:
            if found is not None and place >= found[0]:
                break  # the id's problem comes first (at the same record, too)
            position = self._records + place
            try:
                fail = address_fail(audience, user_id, line, position)
                self._book.add(addresses, position, fail)
            except AddressError as error:
                found = (place, bisect_left(places, place), error)
                break
        self._records += read.tally.records
        return None if found is None else (found[1], found[2])
