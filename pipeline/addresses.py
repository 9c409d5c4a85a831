"""A user's addresses: where SendMessages delivers, read from an audience and checked at load.

A user may carry ``addresses``: a mapping from a Pinpoint channel type to one address or a
list of them (a phone number, an email address, a device token)::

    - id: u-0001
      addresses:
        SMS: "+15550100001"
        APNS: [5e1c0a..., 9b2f...]

In CSV, columns named ``addresses.<CHANNEL>`` hold one address each; an empty cell means
none. An address is one recipient: it may be listed once in a whole audience, under one
channel, because SendMessages keys its ``Addresses`` and its answer by the address alone.
``null`` or an empty list under a channel means no address there, as an empty CSV cell does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from difflib import get_close_matches
from typing import Any, Final

from pipeline.errors import InputError
from pipeline.idindex import IdIndex
from pipeline.pinpoint.channels import ENDPOINT_CHANNELS
from pipeline.pinpoint.limits import MAX_RECIPIENTS_PER_REQUEST

# (channel type, address): the channel type is one of ENDPOINT_CHANNELS.
Address = tuple[str, str]

ADDRESSES_KEY: Final = "addresses"
CSV_PREFIX: Final = "addresses."
# A user's addresses travel in one request, so a user has at most as many as a request holds.
MAX_ADDRESSES_PER_USER: Final = MAX_RECIPIENTS_PER_REQUEST
EXAMPLE: Final = "addresses: {SMS: '+15550100001', APNS: [token1, token2]}"
_CHANNELS: Final = frozenset(ENDPOINT_CHANNELS)

# Builds the error for a place: fail(what, fix); an AddressError for an audience's users.
Fail = Callable[[str, str], InputError]


def read_addresses(value: Any, fail: Fail) -> tuple[Address, ...]:
    """A user's ``addresses`` value as (channel type, address) pairs, in file order.

    Raises:
        AddressError: (from ``fail``) not a mapping, an unknown channel, an address that
            is not a non-empty string, one listed twice, or more than a request holds.
    """
    if not isinstance(value, dict):
        raise fail(
            f"'{ADDRESSES_KEY}' must be a mapping of channel type to address(es), "
            f"not {_kind(value)}",
            f"write e.g. {EXAMPLE}; in CSV, use columns named addresses.SMS, addresses.APNS, ...",
        )
    found: list[Address] = []
    seen: dict[str, str] = {}
    for channel, listed in value.items():
        if channel not in _CHANNELS:
            check_channel(channel, fail)
        items = listed if isinstance(listed, list) else [] if listed is None else [listed]
        for item in items:
            # The common case in one test (a string with no space at either end, which
            # makes it non-empty); check_address explains whatever fails it.
            address = item if type(item) is str and item.strip() == item != "" else None
            if address is None:
                address = check_address(channel, item, fail)
            if address in seen:
                first = seen[address]
                both = f"both {first} and {channel}" if first != channel else None
                where = f"under {both}" if both else f"twice under {channel}"
                raise fail(
                    f"address {address!r} is listed {where} for this user",
                    "list each address once: an address is one recipient",
                )
            seen[address] = channel
            found.append((channel, address))
    if len(found) > MAX_ADDRESSES_PER_USER:
        raise fail(
            f"{len(found)} addresses; a user's addresses go in one SendMessages request, "
            f"which holds at most {MAX_ADDRESSES_PER_USER}",
            "split the recipient into several users",
        )
    return tuple(found)


def check_channel(channel: Any, fail: Fail) -> str:
    """A channel type of ``ENDPOINT_CHANNELS``, or the error that names the near miss."""
    if isinstance(channel, str) and channel in ENDPOINT_CHANNELS:
        return channel
    text = str(channel)
    close = get_close_matches(text.upper(), ENDPOINT_CHANNELS, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    raise fail(
        f"unknown address channel {text!r}",
        f"{hint}use one of {', '.join(ENDPOINT_CHANNELS)}",
    )


def check_address(channel: str, item: Any, fail: Fail) -> str:
    """One address as given: a non-empty string without spaces around it."""
    if not isinstance(item, str):
        raise fail(
            f"the address under {channel} must be a string, not {_kind(item)}",
            "quote it: YAML reads unquoted digits as a number",
        )
    if not item.strip():
        raise fail(
            f"empty address under {channel}",
            "remove it, or give the phone number, email address or device token",
        )
    if item != item.strip():
        raise fail(f"the address {item!r} under {channel} has spaces around it", "remove them")
    return item


def csv_address_columns(header: Sequence[str], fail: Fail) -> list[tuple[str, str]]:
    """The ``addresses.<CHANNEL>`` columns of a CSV header, as (column, channel) pairs."""
    if ADDRESSES_KEY in header:
        raise fail(
            f"a CSV column cannot be called {ADDRESSES_KEY!r}",
            "use one column per channel: addresses.SMS, addresses.APNS, ...",
        )
    columns = []
    for name in header:
        if name.startswith(CSV_PREFIX):
            columns.append((name, check_channel(name[len(CSV_PREFIX) :], fail)))
    return columns


def fold_csv_addresses(record: dict[str, Any], columns: Sequence[tuple[str, str]]) -> None:
    """Move a CSV row's address cells into one ``addresses`` mapping (no cell, no key)."""
    addresses: dict[str, list[str]] = {}
    for column, channel in columns:
        cell = record.pop(column, None)
        if cell is not None:  # empty cells are already left out of the record
            addresses.setdefault(channel, []).append(cell)
    if addresses:
        record[ADDRESSES_KEY] = addresses


class AddressBook:
    """Catches an address listed for two users: every address seen, as an 8-byte hash.

    A hash match is only a suspicion; ``first_owner(address, position)`` confirms it by
    reading the file again (the error path only), and returns the user id and line of the
    first user, before ``position``, who lists it.
    """

    __slots__ = ("_index", "_first_owner")

    def __init__(self, first_owner: Callable[[str, int], tuple[str, int | None] | None]) -> None:
        self._index = IdIndex()
        self._first_owner = first_owner

    def add(self, addresses: Sequence[Address], position: int, fail: Fail) -> None:
        """Note the addresses of the user at ``position``; an error if one is already taken."""
        for channel, address in addresses:
            if self._index.add(address):
                continue
            owner = self._first_owner(address, position)
            if owner is None:
                continue  # two addresses with the same hash: not a duplicate
            user_id, line = owner
            at = f" at line {line}" if line else ""
            raise fail(
                f"address {address!r} ({channel}) is also listed for user {user_id!r}{at}",
                "an address belongs to one user: remove it from one of them",
            )


def lists_address(value: Any, address: str) -> bool:
    """Whether a (checked) ``addresses`` value lists ``address`` under any channel."""
    if not isinstance(value, dict):
        return False
    return any(
        address in listed if isinstance(listed, list) else address == listed
        for listed in value.values()
    )


def _kind(value: Any) -> str:
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, list):
        return "a list"
    return f"{value!r}"
