"""How rendered requests are stored: each one's kind, users, body and recipients.

A SendUsersMessages request names its users in its body. A SendMessages request to
addresses does not (``Addresses`` are keyed by address), so its ``recipients`` column holds
the owner of each address, ``{address: user_id}``, as a retry to endpoints holds
``{endpoint_id: user_id}``. The users without addresses of a SendMessages run are stored as
requests of kind ``unaddressed`` (their body: the user ids), answered from the start with
``PERMANENT_FAILURE`` under an empty address, never sent and outside the run's content hash.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Final

from pipeline import fastjson
from pipeline.api import EncodedRequest, encode_request, encoded_bytes, request_bytes, to_json
from pipeline.pinpoint.limits import PERMANENT_FAILURE
from pipeline.render.address_batch import AddressedRequest, Rendered, Unaddressed
from pipeline.send.journal.packing import pack_results, unpack
from pipeline.send.journal.records import (
    ADDRESSES_KIND,
    UNADDRESSED_KIND,
    USERS_KIND,
    ResultRow,
)

NO_ADDRESSES: Final = "No addresses for this user in the audience."


@dataclass(frozen=True, slots=True)
class Stored:
    """One rendered item as a row of ``requests``.

    Attributes:
        kind: The request's kind (``users``, ``addresses`` or ``unaddressed``).
        users: How many users it holds.
        body: The text stored (and sent): the request's canonical JSON, or its UTF-8.
        recipients: The owner of each address, as JSON; None when the body names them.
        content: Whether it is part of the run's content: a line ``pipeline render`` prints.
        encoded: The body's UTF-8 bytes, for the run's content hash (empty when not content).
    """

    kind: str
    users: int
    body: str | bytes
    recipients: str | None
    content: bool
    encoded: bytes = b""


def user_count(item: Rendered | EncodedRequest) -> int:
    """How many users a rendered item holds."""
    if isinstance(item, EncodedRequest):
        return item.users
    if isinstance(item, Unaddressed):
        return len(item.user_ids)
    if isinstance(item, AddressedRequest):
        return len(set(item.owners.values()))
    return len(item["SendUsersMessageRequest"]["Users"])


def stored(item: Rendered | EncodedRequest) -> Stored:
    """The row a rendered item is stored as.

    Raises:
        RequestError: The request cannot be encoded (a lone surrogate), naming the user.
    """
    if isinstance(item, EncodedRequest):  # a request rendered in parallel, as bytes
        data = encoded_bytes(item)
        if item.owners is not None:  # SendMessages: the owner of each address
            return Stored(ADDRESSES_KIND, item.users, data, to_json(item.owners), True, data)
        return Stored(USERS_KIND, item.users, data, None, True, data)
    if isinstance(item, Unaddressed):
        return Stored(UNADDRESSED_KIND, len(item.user_ids), to_json(item.user_ids), None, False)
    if isinstance(item, AddressedRequest):
        users = len(set(item.owners.values()))
        body = encode_request(item.request)
        encoded = request_bytes(item.request, body)
        return Stored(ADDRESSES_KIND, users, body, to_json(item.owners), True, encoded)
    body = encode_request(item)
    users = len(item["SendUsersMessageRequest"]["Users"])
    return Stored(USERS_KIND, users, body, None, True, request_bytes(item, body))


def unaddressed_results(body: bytes | str) -> list[ResultRow]:
    """The results of an ``unaddressed`` request: every user failed, under no address."""
    users = fastjson.loads(unpack(body))
    return [(user, "", PERMANENT_FAILURE, None, None, NO_ADDRESSES) for user in users]


def recipients_of(
    kind: str, body: bytes | str, recipients: str | None
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A stored request's users and, aligned with them, its endpoints or addresses.

    A SendUsersMessages request names no endpoint: its second tuple is empty.
    """
    if recipients is not None:
        mapping: dict[str, str] = fastjson.loads(recipients)
        return tuple(mapping.values()), tuple(mapping)
    if kind == UNADDRESSED_KIND:
        users: tuple[str, ...] = tuple(fastjson.loads(unpack(body)))
        return users, ("",) * len(users)
    return tuple(fastjson.loads(unpack(body))["SendUsersMessageRequest"]["Users"]), ()


def answer_unaddressed(db: sqlite3.Connection, run_id: int, now: str) -> None:
    """Store the results of a new run's users without addresses: failed, never sent."""
    rows = db.execute(
        "SELECT id, body FROM requests WHERE run_id = ? AND kind = ?",
        (run_id, UNADDRESSED_KIND),
    ).fetchall()
    db.executemany(
        "INSERT INTO answers (request_id, run_id, origin, attempt, results) VALUES (?, ?, ?, 1, ?)",
        ((id_, run_id, id_, pack_results(unaddressed_results(body))) for id_, body in rows),
    )
    db.execute(
        "UPDATE requests SET answered_at = ? WHERE run_id = ? AND kind = ?",
        (now, run_id, UNADDRESSED_KIND),
    )
