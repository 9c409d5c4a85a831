"""Where things live in a project: resolving MESSAGE and AUDIENCE arguments to files."""

from __future__ import annotations

from difflib import get_close_matches
from pathlib import Path

from pipeline.errors import AudienceError, MessageError

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


def resolve_audience(root: Path, ref: str) -> Path:
    """The file of an audience given by name (under audiences/) or by path."""
    given = Path(ref)
    if given.is_file():
        return given
    base = root / AUDIENCES_DIR / ref
    if base.is_file():
        return base
    for suffix in AUDIENCE_SUFFIXES:
        candidate = base.with_name(base.name + suffix)
        if candidate.is_file():
            return candidate
    raise AudienceError(
        f"no audience {ref!r}: no file {ref} and nothing in {root / AUDIENCES_DIR}/ named "
        f"{ref} with {', '.join(AUDIENCE_SUFFIXES)}",
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
