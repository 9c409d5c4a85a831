"""A static site held as pages in memory, and written to a folder all or nothing."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Final

from pipeline.errors import InputError, StorageError

# Relative POSIX path -> the page's text. Built whole before anything is written.
Site = dict[str, str]

# Left in every folder this module writes, so that a later run knows the folder is a site
# it may replace, and never deletes a folder of someone else's by a mistyped -o.
MARKER: Final = ".pipeline-site"
_MARKER_TEXT: Final = "Written by pipeline; the next run replaces this whole folder.\n"


def write_site(site: Mapping[str, str], target: Path) -> None:
    """Write ``site`` as the folder ``target``, all or nothing.

    The pages go to a fresh folder beside ``target`` first; only when every page is on
    disk does it take ``target``'s place, so a failure leaves no partial site. An existing
    ``target`` is replaced only if it is empty or a site this function wrote.

    Raises:
        InputError: ``target``'s parent is missing, ``target`` is a file, or a folder
            that is not a site written by pipeline.
        StorageError: The site cannot be written (a full disk, a read-only folder).
    """
    try:
        _write_site(site, target)
    except OSError as exc:
        raise StorageError.of(exc, "write the site", target) from exc


def _write_site(site: Mapping[str, str], target: Path) -> None:
    parent = target.parent
    if not parent.is_dir():
        raise InputError(f"the output folder's parent {parent} does not exist", fix="create it")
    if target.exists() or target.is_symlink():
        _check_replaceable(target)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=parent))
    try:
        for name, text in site.items():
            path = staging.joinpath(*_parts(name))
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8", newline="\n")
        (staging / MARKER).write_text(_MARKER_TEXT, encoding="utf-8")
        staging.chmod(0o755)  # mkdtemp's 0700 would hide the site from a web server
        _swap(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _parts(name: str) -> tuple[str, ...]:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise ValueError(f"page path {name!r} leaves the site")  # a bug, not a user error
    return path.parts


def _check_replaceable(target: Path) -> None:
    if target.is_symlink() or not target.is_dir():
        raise InputError(
            f"{target} exists and is not a folder",
            fix="give -o a folder path (it is created, or replaced if pipeline wrote it)",
        )
    if (target / MARKER).is_file() or not any(target.iterdir()):
        return
    raise InputError(
        f"{target} is a folder that pipeline did not write; refusing to replace it",
        fix="give -o a new or empty folder",
    )


def _swap(staging: Path, target: Path) -> None:
    """Put ``staging`` in ``target``'s place; the old site is removed once the new is in."""
    if not target.exists():
        staging.replace(target)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{target.name}-old-", dir=target.parent))
    old.rmdir()
    target.replace(old)
    try:
        staging.replace(target)
    except OSError:
        old.replace(target)  # put the previous site back rather than leave nothing
        raise
    shutil.rmtree(old, ignore_errors=True)
