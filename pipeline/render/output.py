"""Writing rendered requests as JSON Lines, all or nothing."""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from pipeline.api import EncodedRequest, encode_request, encoded_bytes, request_bytes
from pipeline.errors import InputError, StorageError
from pipeline.render.address_batch import AddressedRequest, Rendered, Unaddressed


@dataclass(frozen=True, slots=True)
class WriteSummary:
    """What was written: requests, users, and the SHA-256 of the bytes.

    With SendMessages: ``addresses`` in the requests, and the ``unaddressed`` users, who
    have no address and so are in no request (``users`` counts the others).
    """

    requests: int
    users: int
    sha256: str
    addresses: int = 0
    unaddressed: int = 0


def write_requests(
    requests: Iterable[Rendered | EncodedRequest], target: Path | None
) -> WriteSummary:
    """Write one request per line to ``target`` (stdout if None), atomically.

    The lines go to a temporary file first; only when every request has rendered and
    validated is it renamed over ``target`` (or copied to stdout), so a failed render
    leaves no partial output behind.

    Raises:
        StorageError: The output cannot be written (a full disk, a read-only folder).
    """
    try:
        return _write(requests, target)
    except OSError as exc:
        raise StorageError.of(exc, "write the output", target) from exc


def _write(requests: Iterable[Rendered | EncodedRequest], target: Path | None) -> WriteSummary:
    if target is not None and target.exists() and not target.is_file():
        # A device or a pipe (-o /dev/stdout, /dev/null, a FIFO) cannot be replaced by a
        # rename, which would swap the device node for a regular file: stream into it.
        with target.open("wb") as stream:
            return _write_lines(_render_all(requests), stream)
    folder = target.parent if target is not None else None
    if folder is not None and not folder.is_dir():
        raise InputError(f"the output folder {folder} does not exist", fix="create it first")
    handle, temporary = tempfile.mkstemp(prefix=".render-", suffix=".jsonl.tmp", dir=folder)
    try:
        with os.fdopen(handle, "wb") as stream:
            summary = _write_lines(requests, stream)
        if target is None:
            with Path(temporary).open("rb") as source:
                shutil.copyfileobj(source, sys.stdout.buffer)
            sys.stdout.flush()
        else:
            Path(temporary).replace(target)
    finally:
        Path(temporary).unlink(missing_ok=True)
    return summary


def _render_all(requests: Iterable[Rendered | EncodedRequest]) -> list[Rendered | EncodedRequest]:
    """Every request, rendered and encodable before any is written (no taking a stream back)."""
    rendered = list(requests)
    for item in rendered:
        if isinstance(item, AddressedRequest):
            request_bytes(item.request)
        elif isinstance(item, EncodedRequest):
            encoded_bytes(item)
        elif not isinstance(item, Unaddressed):
            request_bytes(item)
    return rendered


def _write_lines(
    requests: Iterable[Rendered | EncodedRequest], stream: IO[bytes]
) -> WriteSummary:
    # Each line is encoded once, for the digest and the file alike.
    digest = hashlib.sha256()
    count = users = addresses = unaddressed = 0
    for item in requests:
        if isinstance(item, Unaddressed):
            unaddressed += len(item.user_ids)
            continue
        if isinstance(item, EncodedRequest):
            line = encoded_bytes(item) + b"\n"
            digest.update(line)
            stream.write(line)
            count += 1
            users += item.users
            if item.owners is not None:  # a SendMessages request, packed as text
                addresses += len(item.owners)
            continue
        if isinstance(item, AddressedRequest):
            text = encode_request(item.request) + "\n"
            addresses += len(item.owners)
            users += len(set(item.owners.values()))
        else:
            text = encode_request(item) + "\n"
            users += len(item["SendUsersMessageRequest"]["Users"])
        sent = item.request if isinstance(item, AddressedRequest) else item
        line = request_bytes(sent, text)
        digest.update(line)
        stream.write(line)
        count += 1
    return WriteSummary(count, users, digest.hexdigest(), addresses, unaddressed)
