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

from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.addresses import (
    ADDRESSES_KEY,
    Address,
    AddressBook,
    Fail,
    lists_address,
    read_addresses,
)
from pipeline.errors import AddressError, AudienceError
from pipeline.idindex import IdIndex
from pipeline.linefiles import Record, csv_header, csv_records, jsonl_records, read_lines
from pipeline.unsendable import ESCAPES, find_unsendable, unsendable_error
from pipeline.yamlfile import load_yaml, load_yaml_with_lines, read_text

if TYPE_CHECKING:
    from pipeline.shard import Shard

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

    def users(self, shard: Shard | None = None) -> Iterator[User]:
        """Every user in file order (of ``shard`` only, if given), ids checked and unique.

        A shard's users are checked for duplicates among themselves: a repeated id always
        falls in the same shard. Every record is still read and checked, so a malformed
        line stops every shard, not only the one its user would have been in.
        """
        tally = Tally()
        yield from checked_users(self, self.records(), shard=shard, seen=IdIndex(), tally=tally)
        if tally.records == 0:
            raise no_users_error(self.path)

    def records(
        self, start: int = 0, stop: int | None = None, *, first_line: int = 1
    ) -> Iterator[Record]:
        """The raw records of the file, or of a part of it (see ``pipeline.chunks``).

        ``start`` and ``stop`` are byte offsets of line starts (JSON Lines, CSV) or indexes
        into the users list (YAML); ``first_line`` is the line number at ``start``. A CSV
        part after the first starts below the header, which is read again from the file.
        """
        if self.yaml_users is not None:
            return _yaml_records(self.path, self.yaml_users, start, stop)
        lines = read_lines(self.path, start, stop, first_line)
        if self.format == "jsonl":
            return jsonl_records(self.path, lines)
        return csv_records(self.path, lines, None if start == 0 else csv_header(self.path)[0])

    def duplicate(self, user_id: str, line: int) -> AudienceError | None:
        """The error for a repeated id, naming both lines; None if the id is not repeated.

        ``IdIndex`` only suspects a duplicate: this reads the file again to confirm it.
        """
        first = _first_line_of(self, user_id, line)
        if first is None:
            return None
        return AudienceError(
            f"duplicate user id {user_id!r}, first at line {first}",
            path=self.path,
            line=line or _nth_line_of(self, user_id, 2),
            user_id=user_id,
            fix="user ids must be unique: remove or rename one of them",
        )


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


def _yaml_records(
    path: Path, users: list[Any], start: int = 0, stop: int | None = None
) -> Iterator[Record]:
    # Lines cost a second, slower parse, so they are only looked up for an error's sake.
    lines: dict[Any, int] | None = None
    for index in range(start, len(users) if stop is None else stop):
        record = users[index]
        if isinstance(record, dict) and _plain_id(record.get("id")) is not None:
            yield 0, record
            continue
        if lines is None:
            _, lines = load_yaml_with_lines(read_text(path, AudienceError), path, AudienceError)
        yield lines.get(("users", index), 0), record


def _plain_id(value: Any) -> str | None:
    if type(value) is str:
        return value if value.strip() else None
    if type(value) is int:
        return str(value)
    return None


@dataclass(slots=True)
class Tally:
    """How many records a reading saw: users of every shard, and lines that failed."""

    records: int = 0


def no_users_error(path: Path) -> AudienceError:
    """The error for an audience without a single user."""
    return AudienceError(
        "the audience has no users",
        path=path,
        fix="add users (an empty audience is almost always a mistake)",
    )


# A record's addresses, as a chunk read apart notes them for the check across chunks:
# (its place among the chunk's records, its user id, its line, the addresses).
AddressNote = tuple[int, str, int, tuple[Address, ...]]


def checked_users(
    audience: Audience,
    records: Iterable[Record],
    *,
    shard: Shard | None = None,
    seen: IdIndex | None = None,
    tally: Tally | None = None,
    notes: list[AddressNote] | None = None,
    places: array[int] | None = None,
    offset: int = 0,
) -> Iterator[User]:
    """Users of ``records`` with defaults applied, ids and addresses checked, of ``shard``.

    With ``seen`` (a whole read), a repeated id is an error, and so is an address listed
    for two users (of any shard: one person messaged twice). A chunk read apart checks
    neither; the caller does, in order, from what the chunk notes: ``notes`` gets every
    record's addresses, ``places`` each user's place among the records. ``tally`` counts
    every record; ``offset`` is the place of the first (a YAML chunk's start), for the
    line of an error.
    """
    path, defaults = audience.path, audience.defaults
    contains = shard.contains if shard is not None else None
    book = None if seen is None else address_book(audience)
    count = 0
    for line, record in records:
        count += 1  # every record, whichever shard its user is in
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
        ours = contains is None or contains(user_id)
        if (
            ours
            and seen is not None
            and not seen.add(user_id)
            and (error := audience.duplicate(user_id, line))
        ):
            raise error
        addresses: tuple[Address, ...] = ()
        if ADDRESSES_KEY in record:
            fail = address_fail(audience, user_id, line, offset + count - 1)
            addresses = read_addresses(record[ADDRESSES_KEY], fail)
            if book is not None:
                book.add(addresses, count - 1, fail)
            if notes is not None:
                notes.append((count - 1, user_id, line, addresses))
        if not ours:
            continue
        attributes = {**defaults, **record} if defaults else record
        attributes["id"] = user_id
        if places is not None:
            places.append(count - 1)
        yield User(user_id, attributes, line, addresses)
    if tally is not None:
        tally.records = count


def address_book(audience: Audience) -> AddressBook:
    """A book of addresses that reads the audience again to name a taken one's first owner."""
    return AddressBook(lambda address, position: _address_owner(audience, address, position))


def address_fail(audience: Audience, user_id: str, line: int, position: int) -> Fail:
    """The error for a wrong address of the user at ``position`` (a record's place)."""

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
    for line, record in audience.records():
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
