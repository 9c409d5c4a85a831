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

from pipeline.api import ApiRequest, EncodedRequest, encoded
from pipeline.errors import InputError


@dataclass(frozen=True, slots=True)
class WriteSummary:
    """What was written: requests, users, and the SHA-256 of the bytes."""

    requests: int
    users: int
    sha256: str


def write_requests(
    requests: Iterable[ApiRequest | EncodedRequest], target: Path | None
) -> WriteSummary:
    """Write one request per line to ``target`` (stdout if None), atomically.

    The lines go to a temporary file first; only when every request has rendered and
    validated is it renamed over ``target`` (or copied to stdout), so a failed render
    leaves no partial output behind.
    """
    if target is not None and target.exists() and not target.is_file():
        # A device or a pipe (-o /dev/stdout, /dev/null, a FIFO) cannot be replaced by a
        # rename, which would swap the device node for a regular file: stream into it.
        with target.open("w", encoding="utf-8", newline="\n") as stream:
            return _write_lines(_render_all(requests), stream)
    folder = target.parent if target is not None else None
    if folder is not None and not folder.is_dir():
        raise InputError(f"the output folder {folder} does not exist", fix="create it first")
    handle, temporary = tempfile.mkstemp(prefix=".render-", suffix=".jsonl.tmp", dir=folder)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
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


def _render_all(
    requests: Iterable[ApiRequest | EncodedRequest],
) -> list[ApiRequest | EncodedRequest]:
    """Every request, rendered before any is written: a stream cannot be taken back."""
    return list(requests)


def _write_lines(
    requests: Iterable[ApiRequest | EncodedRequest], stream: IO[str]
) -> WriteSummary:
    digest = hashlib.sha256()
    count = users = 0
    for request in requests:
        text = encoded(request)
        line = text.text + "\n"
        digest.update(line.encode())
        stream.write(line)
        count += 1
        users += text.users
    return WriteSummary(count, users, digest.hexdigest())
