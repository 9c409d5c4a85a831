"""Where things live in a project: resolving MESSAGE and AUDIENCE arguments to files.

What the repository names is read from inside the project root only: messages under
``templates/``, audiences under ``audiences/`` and the ``audience:`` of a message.yaml,
once every symlink and ``..`` is resolved (a pull request can commit a symlink). A path
the operator gives on the command line is theirs to choose and may point anywhere.
"""

from __future__ import annotations

import os
from difflib import get_close_matches
from pathlib import Path

from pipeline.errors import AudienceError, InputError, MessageError

TEMPLATES_DIR = "templates"
AUDIENCES_DIR = "audiences"
MESSAGE_FILE = "message.yaml"
AUDIENCE_SUFFIXES = (".yaml", ".yml", ".jsonl", ".csv")


def templates_root(root: Path) -> Path:
    """The folder every template is loaded from (nothing outside it can be read)."""
    return root / TEMPLATES_DIR


def resolve_message(root: Path, ref: str) -> Path:
    """The folder of a message given by name (under templates/) or by path."""
    candidates = [templates_root(root) / ref, Path(ref)]
    for folder in candidates:
        if (folder / MESSAGE_FILE).is_file():
            return folder
    names = [message_name(root, folder) for folder in message_folders(root)]
    raise MessageError(
        f"no message {ref!r}: neither {candidates[0]}/{MESSAGE_FILE} "
        f"nor {ref}/{MESSAGE_FILE} exists",
        fix=_did_you_mean(ref, names)
        or f"give a folder name under {templates_root(root)}/ or a path to a message folder",
    )


def message_folders(root: Path) -> list[Path]:
    """Every message folder under templates/ (a folder holding a message.yaml), sorted."""
    templates = templates_root(root)
    if not templates.is_dir():
        return []
    return sorted(
        path.parent
        for path in templates.rglob(MESSAGE_FILE)
        if path.is_file() and path.parent != templates
    )


def message_name(root: Path, folder: Path) -> str:
    """A message's name: its folder relative to templates/, else the folder's own name."""
    try:
        return folder.resolve().relative_to(templates_root(root).resolve()).as_posix()
    except ValueError:
        return folder.name


def resolve_audience(root: Path, ref: str, *, declared: bool = False) -> Path:
    """The file of an audience given by name (under audiences/) or by path.

    ``declared`` is for a message's ``audience:``: the repository's word, so a path is
    taken relative to the project root and, like a name, must stay inside it.
    """
    found = find_audience(root, ref, declared=declared)
    if found is not None:
        return found
    where = " in the project root" if declared else ""
    raise AudienceError(
        f"no audience {ref!r}: no file {ref}{where} and nothing in {root / AUDIENCES_DIR}/ "
        f"named {ref} with {', '.join(AUDIENCE_SUFFIXES)}",
        fix=_did_you_mean(ref, audience_names(root))
        or "give a name under audiences/ or a path to a .yaml, .yml, .jsonl or .csv file",
    )


def audience_names(root: Path) -> list[str]:
    """The names of the audiences under audiences/ (file names without their suffix)."""
    folder = root / AUDIENCES_DIR
    if not folder.is_dir():
        return []
    return sorted({path.stem for path in folder.iterdir() if path.suffix in AUDIENCE_SUFFIXES})


def _did_you_mean(ref: str, names: list[str]) -> str | None:
    """``did you mean 'order_shipped'?`` for the closest name, if one is close enough."""
    matches = get_close_matches(ref, names, n=1, cutoff=0.6)
    return f"did you mean {matches[0]!r}?" if matches else None


def find_audience(root: Path, ref: str, *, declared: bool = False) -> Path | None:
    """Like ``resolve_audience``, but None when no such file exists.

    Raises:
        AudienceError: The file the repository names leads outside the project root.
    """
    given = Path(ref)
    if not declared and given.is_file():
        return given  # the operator's own path
    base = root / AUDIENCES_DIR / ref
    candidates = [base, *(base.with_name(base.name + suffix) for suffix in AUDIENCE_SUFFIXES)]
    if declared:
        candidates.append(root / ref)
    for candidate in candidates:
        if candidate.is_file():
            return inside_root(root, candidate, AudienceError)
    return None


def inside_root(root: Path, path: Path, error: type[InputError]) -> Path:
    """``path`` if it lies inside the project root once symlinks are resolved.

    Raises:
        InputError: (of the kind ``error``) it leads outside.
    """
    if path.resolve().is_relative_to(root.resolve()):
        return path
    raise error(
        "the file leads outside the project root (a symlink, '..' or an absolute path), "
        "and files the repository names are only read from inside it",
        path=path,
        fix="keep the file in the project, or give its own path on the command line",
    )


def named_by_repository(root: Path, path: Path) -> bool:
    """Whether ``path`` is written as a place under templates/ or audiences/.

    Judged on the path as written (``..`` folded, symlinks not followed): it says whose
    word the path is, not where it leads.
    """
    written = _folded(path)
    folders = (TEMPLATES_DIR, AUDIENCES_DIR)
    return any(written.is_relative_to(_folded(root / folder)) for folder in folders)


def _folded(path: Path) -> Path:
    """An absolute path with ``..`` folded as written, no symlink followed."""
    return Path(os.path.normpath(path.absolute()))
