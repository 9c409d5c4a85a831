r"""Audiences: YAML, JSON Lines and CSV files of users, streamed where the format allows.

Every format yields the same thing, ``User`` records in file order, each with its line for
error messages. JSON Lines and CSV are read one line at a time, so memory stays flat as
the file grows, apart from the compact id index that catches duplicates.

- YAML: ``defaults`` (optional mapping) and ``users`` (a list of mappings).
- JSON Lines: one user object per line; blank lines are skipped.
- CSV: a header row with an ``id`` column; every value is a string. An empty cell means
  the attribute is absent, so the audience defaults (and Jinja's ``default`` filter) apply.
  Columns ``addresses.<CHANNEL>`` become the user's ``addresses`` mapping.

A user's ``addresses`` (``pipeline.addresses``) are checked here too: known channels,
non-empty addresses, none listed twice in the whole audience.

Ids are non-empty strings; an integer id is taken as its decimal text. Text that no
message can carry (``unsendable``) is refused the same way in every format: a NUL
character, raw or written ``\u0000`` or ``"\0"``, and a lone surrogate (``\ud800``).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.addresses import (
    ADDRESSES_KEY,
    Address,
    AddressBook,
    Fail,
    csv_address_columns,
    fold_csv_addresses,
    lists_address,
    read_addresses,
)
from pipeline.errors import AddressError, AudienceError
from pipeline.idindex import IdIndex
from pipeline.unsendable import ESCAPES, check_sendable, find_unsendable, unsendable_error
from pipeline.yamlfile import load_yaml, load_yaml_with_lines, read_text

Attributes = dict[str, Any]


@dataclass(frozen=True, slots=True)
class User:
    """One recipient: the Pinpoint user id, its attributes (``id`` included), its source line.

    ``addresses`` are the user's checked (channel type, address) pairs, in file order; the
    raw ``addresses`` value also stays among the attributes.
    """

    id: str
    attributes: Attributes
    line: int
    addresses: tuple[Address, ...] = ()


@dataclass(frozen=True, slots=True)
class Audience:
    """An audience file, opened lazily: ``users()`` streams it from the start each time."""

    path: Path
    format: str
    defaults: Attributes = field(default_factory=dict)
    # A YAML audience is parsed whole (YAML cannot be streamed); its users list is kept here.
    yaml_users: list[Any] | None = None

    def users(self) -> Iterator[User]:
        """Every user in file order, with defaults applied, ids and addresses checked."""
        return _checked_users(self, self.records())

    def records(self) -> Iterator[Record]:
        """The file's (line, record) pairs as read, before any checking."""
        if self.yaml_users is not None:
            return _yaml_records(self.path, self.yaml_users)
        if self.format == "jsonl":
            return _jsonl_records(self.path)
        return _csv_records(self.path)


def load_audience(path: Path) -> Audience:
    """Open an audience and read its defaults; users are read when iterated."""
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        return _load_yaml_audience(path)
    if suffix == ".jsonl":
        return Audience(path, "jsonl")
    if suffix == ".csv":
        return Audience(path, "csv")
    raise AudienceError(
        f"unknown audience format {suffix or '(no extension)'!r}",
        path=path,
        fix="use .yaml, .yml, .jsonl or .csv",
    )


# Records are (line, mapping) pairs straight from the file, before any checking.
Record = tuple[int, Any]


def _load_yaml_audience(path: Path) -> Audience:
    text = read_text(path, AudienceError)
    if "\x00" in text:  # YAML refuses it too, in words of its own: say it as for CSV
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise unsendable_error("\x00", AudienceError, path, line)
    document = load_yaml(text, path, AudienceError)
    if not isinstance(document, dict):
        raise AudienceError(
            "an audience must be a mapping with a 'users' list",
            path=path,
            fix="start the file with 'users:' followed by '- id: ...' items",
        )
    unknown = sorted(set(document) - {"defaults", "users", "description"}, key=str)
    if unknown:
        raise AudienceError(
            f"unknown top-level key {unknown[0]!r}",
            path=path,
            fix="an audience has 'users', and optionally 'defaults' and 'description'",
        )
    defaults = document.get("defaults") or {}
    if not isinstance(defaults, dict):
        raise AudienceError("'defaults' must be a mapping of attributes", path=path)
    for key in ("id", ADDRESSES_KEY):
        if key in defaults:
            raise AudienceError(f"'defaults' cannot set {key!r}", path=path, fix="remove it")
    users = document.get("users")
    if not isinstance(users, list):
        raise AudienceError(
            "'users' must be a list of users", path=path, fix="write each user as '- id: ...'"
        )
    if ESCAPES.search(text):
        _check_yaml_text(text, path, defaults, users)
    return Audience(path, "yaml", defaults, users)


def _check_yaml_text(text: str, path: Path, defaults: Attributes, users: list[Any]) -> None:
    """Refuse a NUL or surrogate written as an escape, at the line of its user."""
    parts = [(("defaults",), defaults), *((("users", i), user) for i, user in enumerate(users))]
    for where, value in parts:
        found = find_unsendable(value)
        if found is not None:
            _, lines = load_yaml_with_lines(text, path, AudienceError)
            raise unsendable_error(found, AudienceError, path, lines.get(where))


def _yaml_records(path: Path, users: list[Any]) -> Iterator[Record]:
    # Lines cost a second, slower parse, so they are only looked up for an error's sake.
    lines: dict[Any, int] | None = None
    for index, record in enumerate(users):
        if isinstance(record, dict) and _plain_id(record.get("id")) is not None:
            yield 0, record
            continue
        if lines is None:
            _, lines = load_yaml_with_lines(read_text(path, AudienceError), path, AudienceError)
        yield lines.get(("users", index), 0), record


def _read_lines(path: Path) -> Iterator[tuple[int, str]]:
    try:
        stream = path.open("rb")
    except OSError as exc:
        raise AudienceError(f"cannot read the file: {exc.strerror}", path=path) from exc
    with stream:
        for number, raw in enumerate(stream, 1):
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


def _jsonl_records(path: Path) -> Iterator[Record]:
    decode = json.JSONDecoder().decode
    for number, text in _read_lines(path):
        if not text.strip():
            continue
        try:
            record = decode(text)
        except json.JSONDecodeError as exc:
            raise AudienceError(
                f"invalid JSON: {exc.msg} at column {exc.colno}",
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


def _csv_records(path: Path) -> Iterator[Record]:
    lines = _read_lines(path)
    current = [0]

    def texts() -> Iterator[str]:
        for number, text in lines:
            current[0] = number
            yield text

    reader = csv.reader(texts(), strict=True)
    try:
        header = next(reader, None)
        if not header or "id" not in header:
            raise AudienceError(
                "the CSV header has no 'id' column",
                path=path,
                line=1,
                fix="make the first row a header with an 'id' column",
            )
        if len(set(header)) != len(header):
            repeated = next(name for name in header if header.count(name) > 1)
            raise AudienceError(
                f"column {repeated!r} appears twice in the header", path=path, line=1
            )
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


def _plain_id(value: Any) -> str | None:
    if type(value) is str:
        return value if value.strip() else None
    if type(value) is int:
        return str(value)
    return None


def _checked_users(audience: Audience, records: Iterable[Record]) -> Iterator[User]:
    path, defaults = audience.path, audience.defaults
    seen = IdIndex()
    book = AddressBook(lambda address, position: _address_owner(audience, address, position))
    count = 0
    for line, record in records:
        if not isinstance(record, dict):
            raise AudienceError(
                "a user must be a mapping of attributes with an 'id'", path=path, line=line or None
            )
        user_id = _plain_id(record.get("id"))
        if user_id is None:
            raise AudienceError(
                "user has no id"
                if "id" not in record
                else f"user id {record['id']!r} is not a non-empty string",
                path=path,
                line=line or None,
                fix="give every user an 'id' (the Pinpoint UserId), e.g. id: u-0001",
            )
        if not seen.add(user_id) and (first := _first_line_of(audience, user_id, line)):
            raise AudienceError(
                f"duplicate user id {user_id!r}, first at line {first}",
                path=path,
                line=line or _nth_line_of(audience, user_id, 2),
                user_id=user_id,
                fix="user ids must be unique: remove or rename one of them",
            )
        addresses: tuple[Address, ...] = ()
        if ADDRESSES_KEY in record:
            fail = _address_fail(audience, user_id, line, count)
            addresses = read_addresses(record[ADDRESSES_KEY], fail)
            book.add(addresses, count, fail)
        attributes = {**defaults, **record} if defaults else record
        attributes["id"] = user_id
        count += 1
        yield User(user_id, attributes, line, addresses)
    if count == 0:
        raise AudienceError(
            "the audience has no users",
            path=path,
            fix="add users (an empty audience is almost always a mistake)",
        )


def _address_fail(audience: Audience, user_id: str, line: int, position: int) -> Fail:
    def fail(what: str, fix: str) -> AddressError:
        where = line or _line_at(audience, position)
        return AddressError(what, path=audience.path, line=where, user_id=user_id, fix=fix)

    return fail


def _line_at(audience: Audience, position: int) -> int | None:
    """The line of the user at ``position``: a second read of a YAML file, on error paths."""
    if audience.format != "yaml":
        return None
    _, lines = load_yaml_with_lines(
        read_text(audience.path, AudienceError), audience.path, AudienceError
    )
    return lines.get(("users", position))


def _address_owner(audience: Audience, address: str, before: int) -> tuple[str, int | None] | None:
    """The first user before ``before`` who lists ``address``: a second read, on error paths."""
    for position, (line, record) in enumerate(audience.records()):
        if position >= before:
            break
        if lists_address(record.get(ADDRESSES_KEY), address):
            return _plain_id(record["id"]) or "", line or _line_at(audience, position)
    return None


def _user_lines(audience: Audience, user_id: str) -> Iterator[int]:
    """Lines where an id occurs: a second read of the file, on the error path only."""
    if audience.format == "yaml":
        document, lines = load_yaml_with_lines(
            read_text(audience.path, AudienceError), audience.path, AudienceError
        )
        for index, record in enumerate(document.get("users") or []):
            if isinstance(record, dict) and _plain_id(record.get("id")) == user_id:
                yield lines.get(("users", index), 0)
        return
    reader = _jsonl_records if audience.format == "jsonl" else _csv_records
    for line, record in reader(audience.path):
        if isinstance(record, dict) and _plain_id(record.get("id")) == user_id:
            yield line


def _first_line_of(audience: Audience, user_id: str, line: int) -> int | None:
    """The first line of ``user_id`` if it really occurs before ``line`` (0: YAML, unknown)."""
    lines = _user_lines(audience, user_id)
    first = next(lines, None)
    if first is None:
        return None
    if line and first >= line:
        return None  # a hash collision in the index, not a duplicate
    if not line and next(lines, None) is None:
        return None
    return first


def _nth_line_of(audience: Audience, user_id: str, n: int) -> int | None:
    for index, line in enumerate(_user_lines(audience, user_id), 1):
        if index == n:
            return line
    return None
