"""A git revision of the project, read with the ``git`` binary and written out as files.

``pipeline diff`` renders the project as it was at a ref. The files come from git itself
(``git ls-tree`` and ``git cat-file --batch --filters``), so the base side sees exactly
what a checkout of the ref would hold, line-ending and smudge filters included, without
touching the working tree, the index or the list of worktrees.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import IO

from pipeline.errors import InputError

# Pathspecs are paths here, never globs: a folder named "[x]" means that folder.
_ENV = {**os.environ, "GIT_LITERAL_PATHSPECS": "1", "GIT_TERMINAL_PROMPT": "0"}
_SYMLINK_MODE = "120000"


@dataclass(frozen=True, slots=True)
class Revision:
    """A commit of the repository that holds a project root.

    Attributes:
        ref: The ref as the user gave it, e.g. ``origin/main``.
        commit: The full hash it resolved to; every later read uses it, never ``ref``.
        toplevel: The repository's working tree.
        prefix: The project root relative to ``toplevel`` (``""`` at the top).
        time: The commit's committer date, UTC.
    """

    ref: str
    commit: str
    toplevel: Path
    prefix: str
    time: datetime

    @property
    def short(self) -> str:
        """The abbreviated hash shown to people."""
        return self.commit[:10]

    def repo_path(self, path: Path) -> str | None:
        """``path`` relative to the repository (POSIX), or None if it lies outside."""
        try:
            return path.resolve().relative_to(self.toplevel).as_posix()
        except ValueError:
            return None

    def project_path(self, relative: str) -> str:
        """A path relative to the project root, made relative to the repository."""
        return str(PurePosixPath(self.prefix, relative)) if self.prefix else relative


def find_revision(root: Path, ref: str) -> Revision:
    """Resolve ``ref`` in the repository that holds ``root``.

    Raises:
        InputError: git is missing, ``root`` is not in a repository, or ``ref`` names no
            commit there.
    """
    if not root.is_dir():
        raise InputError(f"the project root {root} is not a folder", fix="check --root")
    found = _git(["rev-parse", "--show-toplevel", "--show-prefix"], cwd=root)
    if found.returncode != 0:
        raise InputError(
            f"{root.resolve()} is not inside a git repository ({_first_line(found.stderr)})",
            fix="run pipeline diff in a clone of the project, or point --root at one",
        )
    toplevel, prefix = found.stdout.decode().split("\n")[:2]
    commit = b""
    if ref and not ref.startswith("-"):  # never let a ref be read as an option
        resolved = _git(
            ["rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}"],
            cwd=root,
        )
        commit = resolved.stdout.strip() if resolved.returncode == 0 else b""
    if not commit:
        raise InputError(
            f"unknown git ref {ref!r}: no branch, tag or commit of that name in {toplevel}",
            fix="give a ref that exists here, e.g. origin/main; in CI fetch it first "
            "(actions/checkout with fetch-depth: 0)",
        )
    stamp = _git(["show", "-s", "--format=%ct", commit.decode()], cwd=root)
    return Revision(
        ref=ref,
        commit=commit.decode(),
        toplevel=Path(toplevel).resolve(),
        prefix=prefix.rstrip("/"),
        time=datetime.fromtimestamp(int(stamp.stdout.strip() or 0), UTC),
    )


def exists_at(revision: Revision, path: str) -> bool:
    """Whether the revision holds a file at ``path`` (relative to the repository)."""
    found = _git(["cat-file", "-e", f"{revision.commit}:{path}"], cwd=revision.toplevel)
    return found.returncode == 0


def is_tracked(revision: Revision, path: str) -> bool:
    """Whether git tracks ``path`` in the working tree (it is in the index)."""
    found = _git(["ls-files", "--error-unmatch", "--", path], cwd=revision.toplevel)
    return found.returncode == 0


def export_paths(revision: Revision, paths: Iterable[str], into: Path) -> None:
    """Write the files under ``paths`` (relative to the repository) as of the revision.

    Files land at the same relative places under ``into``. Paths the revision does not
    hold are skipped: a folder that did not exist yet simply has no files.
    """
    wanted = list(paths)
    if not wanted:
        return  # ls-tree without a path would list the whole repository
    listing = _git(
        ["ls-tree", "-r", "-z", "--full-tree", revision.commit, "--", *wanted],
        cwd=revision.toplevel,
    )
    _check(listing, "ls-tree")
    entries: list[tuple[str, str, str]] = []  # (mode, object id, path)
    for record in listing.stdout.decode().split("\0"):
        if not record:
            continue
        meta, _, path = record.partition("\t")
        mode, kind, oid = meta.split(" ")
        if kind == "blob":  # submodules ("commit") have no files to render
            entries.append((mode, oid, path))
    if entries:
        _write_blobs(revision, entries, into)


def _write_blobs(revision: Revision, entries: Sequence[tuple[str, str, str]], into: Path) -> None:
    # The object list goes in through a file and the contents are read as they stream
    # out, so neither pipe can fill up and stall git, and a large audience never sits
    # in memory whole.
    with tempfile.TemporaryFile() as requests:
        requests.write("".join(f"{oid} {path}\n" for _, oid, path in entries).encode())
        requests.seek(0)
        with subprocess.Popen(
            ["git", "cat-file", "--batch", "--filters"],
            cwd=revision.toplevel,
            stdin=requests,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=_ENV,
        ) as process:
            assert process.stdout is not None
            for mode, _, path in entries:
                target = into / path
                target.parent.mkdir(parents=True, exist_ok=True)
                header = process.stdout.readline().split()
                if len(header) != 3:
                    raise InputError(f"git cat-file could not read {path} at {revision.ref}")
                size = int(header[2])
                if mode == _SYMLINK_MODE:
                    target.symlink_to(process.stdout.read(size).decode())
                else:
                    with target.open("wb") as out:
                        _copy(process.stdout, out, size)
                process.stdout.read(1)  # the newline after each object
            process.stdout.read()
            stderr = process.stderr.read() if process.stderr else b""
        if process.returncode != 0:
            raise InputError(f"git cat-file failed: {_first_line(stderr)}")


def _copy(source: IO[bytes], target: IO[bytes], size: int) -> None:
    while size > 0:
        chunk = source.read(min(size, 1 << 20))
        if not chunk:
            raise InputError("git cat-file stopped in the middle of a file")
        target.write(chunk)
        size -= len(chunk)


def _git(args: list[str], *, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, env=_ENV)
    except FileNotFoundError:
        raise InputError(
            "git is not installed (no 'git' on PATH)",
            fix="install git; pipeline diff reads the base side with it",
        ) from None


def _check(result: subprocess.CompletedProcess[bytes], what: str) -> None:
    if result.returncode != 0:
        raise InputError(f"git {what} failed: {_first_line(result.stderr)}")


def _first_line(text: bytes) -> str:
    lines = text.decode(errors="replace").strip().splitlines()
    return lines[0] if lines else "no message from git"
