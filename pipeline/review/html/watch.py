"""Noticing that a project's files changed: a snapshot of every file's mtime and size.

Polling keeps ``pipeline serve`` free of a file-watching dependency and works the same
on every system and file system; a project's templates and audiences are a few hundred
files at most, which a snapshot lists in well under a millisecond each.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

Snapshot = dict[Path, tuple[int, int]]


def snapshot(paths: Iterable[Path]) -> Snapshot:
    """Every file under ``paths`` (folders, walked, or files) with its mtime and size.

    A path that does not exist adds nothing, so its appearance is a change too; a file
    that vanishes while it is walked is left out, as if the walk had come a moment later.
    """
    found: Snapshot = {}
    for path in paths:
        for file in [path] if path.is_file() else path.rglob("*"):
            try:
                status = file.stat()
            except OSError:
                continue
            if file.is_file():
                found[file] = (status.st_mtime_ns, status.st_size)
    return found
