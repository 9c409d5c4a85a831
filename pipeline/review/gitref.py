"""A git revision of the project, read with the ``git`` binary and written out as files.

``pipeline diff`` renders the project as it was at a ref. The files come from git itself
(``git ls-tree`` and ``git cat-file --batch``), without touching the working tree, the
index or the list of worktrees, and exactly as git stores them: no filter runs (see
``gitrepo`` for why), so line endings are as committed, and a file kept in Git LFS is its
pointer, which ``is_lfs_pointer`` recognises so that it is reported as such rather than read
as data.
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import IO

from pipeline.errors import InputError
from pipeline.review.gitrepo import Repository, find_repository, first_line

_SYMLINK_MODE = "120000"
# How every Git LFS pointer file starts (https://github.com/git-lfs/git-lfs/blob/main/docs/spec.md).
LFS_POINTER_START = b"version https://git-lfs.github.com/spec/"
LFS_POINTER_MAX_BYTES = 1024


@dataclass(frozen=True, slots=True)
class Revision:
    """A commit of the repository that holds a project root.

    Attributes:
        ref: The ref as the user gave it, e.g. ``origin/main``.
        commit: The full hash it resolved to; every later read uses it, never ``ref``.
        repository: The repository, named on every git call.
        prefix: The project root relative to ``toplevel`` (``""`` at the top).
        time: The commit's committer date, UTC.
    """

    ref: str
    commit: str
    repository: Repository
    prefix: str
    time: datetime

    @property
    def toplevel(self) -> Path:
        """The repository's working tree."""
        return self.repository.work_tree

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
    repository = find_repository(root)
    toplevel = repository.work_tree
    prefix = root.resolve().relative_to(toplevel).as_posix()
    commit = b""
    if ref and not ref.startswith("-"):  # never let a ref be read as an option
        resolved = repository.run(
            ["rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}"]
        )
        commit = resolved.stdout.strip() if resolved.returncode == 0 else b""
    if not commit:
        raise InputError(
            f"unknown git ref {ref!r}: no branch, tag or commit of that name in {toplevel}",
            fix="give a ref that exists here, e.g. origin/main; in CI fetch it first "
            "(actions/checkout with fetch-depth: 0)",
        )
    stamp = repository.run(["log", "-1", "--format=%ct", commit.decode()])
    return Revision(
        ref=ref,
        commit=commit.decode(),
        repository=repository,
        prefix="" if prefix == "." else prefix,
        time=datetime.fromtimestamp(int(stamp.stdout.strip() or 0), UTC),
    )


def exists_at(revision: Revision, path: str) -> bool:
    """Whether the revision holds a file at ``path`` (relative to the repository)."""
    found = revision.repository.run(["cat-file", "-e", f"{revision.commit}:{path}"])
    return found.returncode == 0


def is_tracked(revision: Revision, path: str) -> bool:
    """Whether git tracks ``path`` in the working tree (it is in the index)."""
    found = revision.repository.run(["ls-files", "--error-unmatch", "--", path])
    return found.returncode == 0


def is_lfs_pointer(path: Path) -> bool:
    """Whether a file is a Git LFS pointer (what git stores for a file kept in LFS)."""
    try:
        with path.open("rb") as stream:
            head = stream.read(LFS_POINTER_MAX_BYTES + 1)
    except OSError:
        return False
    return len(head) <= LFS_POINTER_MAX_BYTES and head.startswith(LFS_POINTER_START)


def export_paths(revision: Revision, paths: Iterable[str], into: Path) -> None:
    """Write the files under ``paths`` (relative to the repository) as of the revision.

    Files land at the same relative places under ``into``. Paths the revision does not
    hold are skipped: a folder that did not exist yet simply has no files.
    """
    wanted = list(paths)
    if not wanted:
        return  # ls-tree without a path would list the whole repository
    listing = revision.repository.run(
        ["ls-tree", "-r", "-z", "--full-tree", revision.commit, "--", *wanted]
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
        requests.write("".join(f"{oid}\n" for _, oid, _ in entries).encode())
        requests.seek(0)
        # The blobs as stored: "--filters" would run the smudge filters that the tree's
        # .gitattributes selects.
        with revision.repository.popen(["cat-file", "--batch"], stdin=requests) as process:
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
            raise InputError(f"git cat-file failed: {first_line(stderr)}")


def _copy(source: IO[bytes], target: IO[bytes], size: int) -> None:
    while size > 0:
        chunk = source.read(min(size, 1 << 20))
        if not chunk:
            raise InputError("git cat-file stopped in the middle of a file")
        target.write(chunk)
        size -= len(chunk)


def _check(result: subprocess.CompletedProcess[bytes], what: str) -> None:
    if result.returncode != 0:
        raise InputError(f"git {what} failed: {first_line(result.stderr)}")
