"""Audience files read line by line from any line start: JSON Lines and CSV records.

Each record comes with its line number (for a CSV row spanning lines, the last one), so
that a part of a file read on its own (a worker's chunk) reports the file's own lines.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from pipeline import fastjson
from pipeline.addresses import Fail, csv_address_columns, fold_csv_addresses
from pipeline.errors import AddressError, AudienceError
from pipeline.unsendable import ESCAPES, check_sendable, unsendable_error

# Records are (line, mapping) pairs straight from the file, before any checking.
Record = tuple[int, Any]


def read_lines(
    path: Path, start: int = 0, stop: int | None = None, first_line: int = 1
) -> Iterator[tuple[int, str]]:
    """Lines of a file (``start`` to ``stop``, byte offsets of line starts) as text.

    Lines are split at line feeds only, as a binary file is; a byte-order mark is
    dropped from line 1.
    """
    try:
        stream = path.open("rb")
    except OSError as exc:
        raise AudienceError(f"cannot read the file: {exc.strerror}", path=path) from exc
    with stream:
        stream.seek(start)
        raws: Iterable[bytes] = stream
        if stop is not None:
            # A part ends at a line start, so its lines (split at b"\n" only, as a file
            # is) are the file's lines.
            raws = io.BytesIO(stream.read(stop - start))
        for number, raw in enumerate(raws, first_line):
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise AudienceError(
                    f"line is not UTF-8 (byte 0x{raw[exc.start]:02x})",
                    path=path,
                    line=number,
                    fix="save the file as UTF-8",
                ) from exc
            if number == 1:
                text = text.removeprefix("\ufeff")  # a byte-order mark from spreadsheet tools
            if "\x00" in text:
                raise unsendable_error("\x00", AudienceError, path, number)
            yield number, text


def jsonl_records(path: Path, lines: Iterable[tuple[int, str]]) -> Iterator[Record]:
    """One JSON value per non-blank line."""
    for number, text in lines:
        if not text.strip():
            continue
        try:
            # ``json``'s value and errors, for about half the CPU (``pipeline.fastjson``).
            record = fastjson.loads(text)
        except json.JSONDecodeError as exc:
            # Past the last character, json counts the line's newline and says "line 2".
            where = "at the end of the line" if exc.lineno > 1 else f"at column {exc.colno}"
            raise AudienceError(
                f"invalid JSON: {exc.msg} {where}",
                path=path,
                line=number,
                fix="write one JSON object per line",
            ) from exc
        except (ValueError, RecursionError) as exc:  # what Python's json cannot hold
            raise AudienceError(
                "the JSON is nested too deeply, or has a number too long (over 4,300 digits), "
                "to read",
                path=path,
                line=number,
                fix="write numbers that long as strings, and keep user records shallow",
            ) from exc
        if "\\" in text and ESCAPES.search(text):
            check_sendable(record, AudienceError, path, number)
        yield number, record


def csv_header(path: Path) -> tuple[list[str], int]:
    """A CSV audience's header row, checked, and the line it ends on."""
    lines = read_lines(path)
    current = [0]

    def texts() -> Iterator[str]:
        for number, text in lines:
            current[0] = number
            yield text

    try:
        header = next(csv.reader(texts(), strict=True), None)
    except csv.Error as exc:
        raise AudienceError(f"invalid CSV: {exc}", path=path, line=current[0]) from exc
    if not header or "id" not in header:
        raise AudienceError(
            "the CSV header has no 'id' column",
            path=path,
            line=1,
            fix="make the first row a header with an 'id' column",
        )
    if len(set(header)) != len(header):
        repeated = next(name for name in header if header.count(name) > 1)
        raise AudienceError(f"column {repeated!r} appears twice in the header", path=path, line=1)
    return header, current[0]


def csv_records(
    path: Path, lines: Iterable[tuple[int, str]], header: list[str] | None
) -> Iterator[Record]:
    """CSV rows as records; ``header`` is given for a part of the file after the header."""
    current = [0]

    def texts() -> Iterator[str]:
        for number, text in lines:
            current[0] = number
            yield text

    reader = csv.reader(texts(), strict=True)
    try:
        if header is None:
            header = csv_header(path)[0]
            next(reader, None)  # checked above; read again here to stay in step
        columns = csv_address_columns(header, _header_fail(path))
        width = len(header)
        for row in reader:
            if not row:
                continue
            if len(row) > width:
                raise AudienceError(
                    f"row has {len(row)} cells but the header has {width}",
                    path=path,
                    line=current[0],
                    fix="quote cells that contain commas",
                )
            record = {name: cell for name, cell in zip(header, row, strict=False) if cell}
            if columns:
                fold_csv_addresses(record, columns)
            yield current[0], record
    except csv.Error as exc:
        raise AudienceError(f"invalid CSV: {exc}", path=path, line=current[0]) from exc


def _header_fail(path: Path) -> Fail:
    def fail(what: str, fix: str) -> AddressError:
        return AddressError(what, path=path, line=1, fix=fix)

    return fail
