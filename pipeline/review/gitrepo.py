"""Running git against one named repository, configured by nothing a pull request changes.

``pipeline diff`` runs in CI on pull requests, whose author controls every file of the
working tree. So:

- **Which repository.** git takes any folder holding ``HEAD``, ``objects/`` and ``refs/`` for
  a repository, and a pull request can commit those (with a ``config``) into the project
  folder. The repository is therefore found once, as the nearest ``.git`` at or above the
  project root (git refuses to commit a path named ``.git``, so no pull request can add
  one), checked by git with that directory named, and from then on every call names
  ``--git-dir`` and ``--work-tree``: git never looks for a repository itself.
- **The caller's environment.** Every ``GIT_*`` variable is dropped (``GIT_DIR``,
  ``GIT_INDEX_FILE``, ``GIT_CONFIG_PARAMETERS``... set by a hook or a CI step that runs
  pipeline must not redirect it), the system config and attributes are not read, and
  replace refs are ignored, so a commit reads as what it is.
- **Nothing runs.** No hook (``core.hooksPath=/dev/null``), no fsmonitor, nothing fetched
  (``protocol.allow=never``; a partial clone's missing object is an error, not a
  download). Files are read as git stores them, never through ``--filters`` or
  ``--textconv``, so no filter, textconv or diff driver applies, whether the tree's
  ``.gitattributes`` or any config asks for one, and ``core.attributesFile`` is
  ``/dev/null``. The repository's own ``.git/config`` (the operator's, which no pull request
  reaches) is read for what git needs to read objects.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from pipeline.errors import InputError

# Set on every call: what no repository, tree or caller may change.
_CONFIG = (
    "core.hooksPath=/dev/null",
    "core.fsmonitor=false",
    "core.attributesFile=/dev/null",
    "protocol.allow=never",
    "safe.bareRepository=explicit",
    "log.showSignature=false",  # no gpg run on the pull request's signatures
)
_ENVIRONMENT = {
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_ATTR_NOSYSTEM": "1",
    "GIT_NO_REPLACE_OBJECTS": "1",
    "GIT_NO_LAZY_FETCH": "1",
    "GIT_LITERAL_PATHSPECS": "1",  # pathspecs are paths, never globs: "[x]" is that folder
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_OPTIONAL_LOCKS": "0",  # reading never rewrites the index
}


@dataclass(frozen=True, slots=True)
class Repository:
    """A git repository found from a project root, and how to run git against it only.

    Attributes:
        git_dir: The repository's ``.git`` (a folder, or the file of a worktree or submodule).
        work_tree: The folder holding that ``.git``: the top of the checkout.
    """

    git_dir: Path
    work_tree: Path

    def run(
        self, args: Sequence[str], *, timeout: float | None = None
    ) -> subprocess.CompletedProcess[bytes]:
        """Run ``git ARGS`` against this repository; the output is captured, never shown."""
        try:
            return subprocess.run(
                self.command(args),
                cwd=self.work_tree,
                capture_output=True,
                env=environment(self.work_tree),
                stdin=subprocess.DEVNULL,
                timeout=timeout,
                check=False,
            )
        except FileNotFoundError:
            raise _no_git() from None

    def popen(self, args: Sequence[str], *, stdin: IO[bytes]) -> subprocess.Popen[bytes]:
        """Start ``git ARGS`` against this repository, its output read as it streams."""
        try:
            return subprocess.Popen(
                self.command(args),
                cwd=self.work_tree,
                stdin=stdin,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=environment(self.work_tree),
            )
        except FileNotFoundError:
            raise _no_git() from None

    def command(self, args: Sequence[str]) -> list[str]:
        """The full command line: the repository named, the fixed settings, then ``args``."""
        settings = [part for pair in _CONFIG for part in ("-c", pair)]
        return [
            "git",
            f"--git-dir={self.git_dir}",
            f"--work-tree={self.work_tree}",
            *settings,
            *args,
        ]


def find_repository(root: Path) -> Repository:
    """The repository whose checkout holds ``root``: the nearest ``.git`` at or above it.

    Raises:
        InputError: ``root`` is not inside a checkout, git is missing, or git does not
            take the ``.git`` found for a repository.
    """
    start = root.resolve()
    for folder in (start, *start.parents):
        marker = folder / ".git"
        if marker.is_dir() or marker.is_file():
            break
    else:
        raise InputError(
            f"{start} is not inside a git repository (no .git in it or above it)",
            fix="run pipeline diff in a clone of the project, or point --root at one",
        )
    repository = Repository(marker, folder)
    checked = repository.run(["rev-parse", "--is-inside-work-tree"])
    if checked.returncode != 0 or checked.stdout.strip() != b"true":
        raise InputError(
            f"git does not read {marker} as a repository ({first_line(checked.stderr)})",
            fix="run pipeline diff in a clone of the project, or point --root at one",
        )
    return repository


def environment(work_tree: Path) -> dict[str, str]:
    """The caller's environment without any ``GIT_*`` variable, plus the fixed settings.

    The ceiling is the folder above the checkout: should anything make git look for a
    repository after all, it finds none rather than one of the tree's.
    """
    kept = {name: value for name, value in os.environ.items() if not name.startswith("GIT_")}
    return {**kept, **_ENVIRONMENT, "GIT_CEILING_DIRECTORIES": str(work_tree.parent)}


def first_line(text: bytes) -> str:
    """The first line of git's stderr, for an error message."""
    lines = text.decode(errors="replace").strip().splitlines()
    return lines[0] if lines else "no message from git"


def _no_git() -> InputError:
    return InputError(
        "git is not installed (no 'git' on PATH)",
        fix="install git; pipeline diff reads the base side with it",
    )
