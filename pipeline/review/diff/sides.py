"""Rendering a project at a git ref and in its working tree, message by message.

The base side's files come from git (``gitref``) into a temporary folder; the other
side is the working tree as it is, uncommitted edits included. Each side uses the
message and the audience as they are on that side; an audience file that git does not
track (outside the repository, or ignored like a warehouse export) serves both sides.
Without a given clock both sides render at the base commit's time, so the same change
gives the same report whenever it runs. With a shard, both sides read only the users of
that shard: a user's shard depends on the id alone, so a user compared on one side is
compared on the other, and the shards' reports add up to the whole audience's.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path

from pipeline.audience import Audience, User, load_audience
from pipeline.errors import AudienceError, InputError, PipelineError
from pipeline.message import Message, load_message
from pipeline.pinpoint.channels import channels_of
from pipeline.project import (
    AUDIENCES_DIR,
    MESSAGE_FILE,
    TEMPLATES_DIR,
    find_audience,
    inside_root,
    message_folders,
    templates_root,
)
from pipeline.render.renderer import MessageRenderer
from pipeline.review.diff.compare import Side, SideFailed, compare
from pipeline.review.diff.model import HEAD_LABEL, Comparison, DiffReport, MessageDiff, Status
from pipeline.review.gitref import (
    Revision,
    exists_at,
    export_paths,
    find_revision,
    is_lfs_pointer,
    is_tracked,
)
from pipeline.shard import Shard


def diff_messages(
    messages: Sequence[str] = (),
    *,
    base: str,
    root: Path = Path(),
    audience: str | None = None,
    variables: Mapping[str, str] | None = None,
    now: datetime | None = None,
    max_groups: int = 20,
    examples: int = 5,
    shard: Shard | None = None,
) -> DiffReport:
    """Render messages at ``base`` and in the working tree, and compare every user's text.

    Args:
        messages: Names under ``templates/`` (or paths to folders there); none means
            every message on either side.
        base: A git ref: branch, tag or commit.
        root: The project root (holds ``templates/`` and ``audiences/``), inside a
            git repository.
        audience: The audience for every message; default: each message's own
            ``audience:`` on each side.
        variables: Values that override the messages' ``vars`` on both sides.
        now: The clock of both sides; default: the base commit's committer date.
        max_groups: Change groups kept with their texts per message and channel.
        examples: User ids listed per group.
        shard: Compare only the users of this shard, on both sides.

    Raises:
        InputError: Not a git repository, an unknown ref, or a message or audience that
            exists on neither side.
    """
    revision = find_revision(root, base)
    with tempfile.TemporaryDirectory(prefix="pipeline-diff-") as folder:
        tree = Path(folder)
        export_paths(
            revision,
            [revision.project_path(TEMPLATES_DIR), revision.project_path(AUDIENCES_DIR)],
            tree,
        )
        sides = _Sides(revision, root, tree, {**(variables or {})}, now or revision.time, shard)
        names = sides.message_names(messages)
        results = tuple(
            sides.diff_one(name, audience, explicit=bool(messages), limits=(max_groups, examples))
            for name in names
        )
    label = None if shard is None else shard.label
    return DiffReport(revision.ref, revision.commit, sides.now, results, label)


class _Sides:
    """The project at the ref (a temporary copy) and in the working tree."""

    def __init__(
        self,
        revision: Revision,
        root: Path,
        tree: Path,
        variables: dict[str, str],
        now: datetime,
        shard: Shard | None = None,
    ) -> None:
        self.revision = revision
        self.root = root
        self.tree = tree
        self.base_root = tree / revision.prefix if revision.prefix else tree
        self.variables = variables
        self.now = now
        self.shard = shard
        self._templates_equal: bool | None = None

    def message_names(self, requested: Sequence[str]) -> list[str]:
        """The messages to compare, sorted; every requested one must exist on a side."""
        if not requested:
            found = set(_messages_in(self.base_root)) | set(_messages_in(self.root))
            if not found:
                raise InputError(
                    f"no messages under {TEMPLATES_DIR}/ at {self.revision.ref} or in the "
                    f"{HEAD_LABEL} of {self.root}",
                    fix="point --root at the project (the folder holding templates/)",
                )
            return sorted(found)
        names = {self._name_of(text) for text in requested}
        for name in sorted(names):
            if not any(_has_message(r, name) for r in (self.base_root, self.root)):
                raise InputError(
                    f"no message {name!r} at {self.revision.ref} or in the {HEAD_LABEL}: "
                    f"neither has {TEMPLATES_DIR}/{name}/{MESSAGE_FILE}",
                    fix=f"give a folder name under {TEMPLATES_DIR}/, e.g. "
                    f"{next(iter(sorted(_messages_in(self.root))), 'order_shipped')}",
                )
        return sorted(names)

    def _name_of(self, text: str) -> str:
        folder = Path(text)
        try:
            inside = folder.resolve().relative_to(templates_root(self.root).resolve())
        except ValueError:
            inside = None
        if inside is not None and inside.parts:
            return inside.as_posix()
        named = not folder.is_absolute() and _has_message(self.root, text)
        if (folder / MESSAGE_FILE).is_file() and not named:
            raise InputError(
                f"{text} is not under {templates_root(self.root)}/: pipeline diff compares "
                "the messages of the project's templates/",
                fix=f"move the message into {TEMPLATES_DIR}/ or pass --root",
            )
        return text.strip("/")

    def diff_one(
        self, name: str, audience: str | None, *, explicit: bool, limits: tuple[int, int]
    ) -> MessageDiff:
        """Compare one message; a failing side is reported, not raised."""
        base_message, base_error = self._load(self.base_root, name)
        head_message, head_error = self._load(self.root, name)
        if base_error is not None or head_error is not None:
            return MessageDiff(name, "failed", base_error=base_error, head_error=head_error)
        wanted = [audience or (m.audience if m else None) for m in (base_message, head_message)]
        if not any(wanted):
            if explicit:
                raise InputError(
                    f"message {name!r} declares no audience",
                    fix="pass --audience, or add "
                    f"'audience: <name>' to {TEMPLATES_DIR}/{name}/{MESSAGE_FILE}",
                )
            return MessageDiff(
                name, "skipped", notes=("not compared: the message declares no audience",)
            )
        declared = audience is None  # each message's own audience: the repository's word
        try:
            base_path = (
                self._base_audience(wanted[0], declared) if base_message and wanted[0] else None
            )
        except AudienceError as error:
            return MessageDiff(name, "failed", base_error=self._base_text(error))
        try:
            head_path = (
                self._head_audience(wanted[1], declared) if head_message and wanted[1] else None
            )
        except AudienceError as error:
            return MessageDiff(name, "failed", head_error=str(error))
        notes = self._audience_notes(base_message, head_message, wanted, base_path, head_path)
        if base_path is None and head_path is None:
            shown = " / ".join(dict.fromkeys(f"{w!r}" for w in wanted if w))
            raise InputError(
                f"no audience {shown} for message {name!r} at {self.revision.ref} or in the "
                f"{HEAD_LABEL}",
                fix=f"give a name under {AUDIENCES_DIR}/ or a path to an audience file",
            )
        labels = (self._label(base_path), self._label(head_path))
        same_users = (
            base_path is not None
            and head_path is not None
            and (base_path == head_path or _same_bytes(base_path, head_path))
        )
        if base_message and head_message and same_users and self._same_templates():
            return MessageDiff(name, "unchanged", *labels, notes=notes)
        try:
            comparison = compare(
                self._side("base", base_message, base_path),
                self._side("head", head_message, head_path),
                same_users=same_users,
                max_groups=limits[0],
                examples=limits[1],
            )
        except SideFailed as failed:
            return MessageDiff(
                name,
                "failed",
                *labels,
                notes=notes,
                base_error=self._base_text(failed.error) if failed.side != "head" else None,
                head_error=str(failed.error) if failed.side != "base" else None,
            )
        status = _status(base_message, head_message, comparison)
        return MessageDiff(name, status, *labels, comparison=comparison, notes=notes)

    def _load(self, root: Path, name: str) -> tuple[Message | None, str | None]:
        if not _has_message(root, name):
            return None, None
        try:
            return load_message(root, templates_root(root) / name), None
        except PipelineError as error:
            return None, self._base_text(error) if root == self.base_root else str(error)

    def _side(self, name: str, message: Message | None, audience: Path | None) -> Side | None:
        if message is None or audience is None:
            return None
        side_root = self.base_root if name == "base" else self.root
        renderer = MessageRenderer(
            message, templates_root(side_root), {**message.variables, **self.variables}, self.now
        )
        return Side(
            name=name,
            renderer=renderer,
            users=_users_of(audience, self.shard),
            channels=tuple(channels_of(message.configuration)),
        )

    def _audience_notes(
        self,
        base_message: Message | None,
        head_message: Message | None,
        wanted: list[str | None],
        base_path: Path | None,
        head_path: Path | None,
    ) -> tuple[str, ...]:
        notes = []
        for message, want, path, where in (
            (base_message, wanted[0], base_path, f"at {self.revision.ref}"),
            (head_message, wanted[1], head_path, f"in the {HEAD_LABEL}"),
        ):
            if message is None:
                continue
            if want is None:
                notes.append(f"the message declares no audience {where}: no users there")
            elif path is None:
                notes.append(f"audience {want!r} does not exist {where}: no users there")
        return tuple(notes)

    def _head_audience(self, name: str, declared: bool) -> Path | None:
        return find_audience(self.root, name, declared=declared)

    def _base_audience(self, name: str, declared: bool) -> Path | None:
        given = Path(name)
        revision = self.revision
        if not declared and given.is_file():
            inside = revision.repo_path(given)
            if inside is None or not (is_tracked(revision, inside) or exists_at(revision, inside)):
                return given  # not under version control: the same file serves both sides
            return self._export(inside)
        found = find_audience(self.base_root, name, declared=True)
        if found is not None or declared:
            return found
        inside = revision.repo_path(given)  # a file path that the working tree deleted
        return self._export(inside) if inside is not None else None

    def _export(self, repo_path: str) -> Path | None:
        target = self.tree / repo_path
        if not target.is_file() and exists_at(self.revision, repo_path):
            export_paths(self.revision, [repo_path], self.tree)
        if not target.is_file():
            return None
        # The operator named the file, but what it holds at the ref is the repository's:
        # a symlink committed there is followed only within the exported tree.
        return inside_root(self.tree, target, AudienceError)

    def _same_templates(self) -> bool:
        if self._templates_equal is None:
            self._templates_equal = _tree_digest(templates_root(self.base_root)) == _tree_digest(
                templates_root(self.root)
            )
        return self._templates_equal

    def _label(self, path: Path | None) -> str | None:
        if path is None:
            return None
        # Base files show relative to the copied project (or repository), so no
        # temporary path reaches the report.
        for side_root in (self.base_root, self.tree, self.root):
            try:
                return path.resolve().relative_to(side_root.resolve()).as_posix()
            except ValueError:
                continue
        return str(path)

    def _base_text(self, error: PipelineError) -> str:
        """An error of the base side, its temporary paths shown as ``REF:path``."""
        text = str(error)
        for folder in sorted({str(self.tree.resolve()), str(self.tree)}, key=len, reverse=True):
            text = text.replace(folder + "/", f"{self.revision.ref}:")
        return text


def _users_of(path: Path, shard: Shard | None) -> Callable[[], Iterator[User]]:
    """A fresh stream of an audience's users (of ``shard``) per call; opened once."""
    opened: list[Audience] = []

    def users() -> Iterator[User]:
        if not opened:  # on first use, so a broken audience fails its own side only
            if is_lfs_pointer(path):
                raise AudienceError(
                    "the audience is a Git LFS pointer, not its users: pipeline diff reads "
                    "files as git stores them and runs no filter",
                    path=path,
                    fix="keep the audience out of LFS, or pass --audience with a file that "
                    "git does not track (both sides then use it)",
                )
            opened.append(load_audience(path))
        return opened[0].users(shard)

    return users


def _same_bytes(first: Path, second: Path) -> bool:
    if first.stat().st_size != second.stat().st_size:
        return False
    with first.open("rb") as one, second.open("rb") as other:
        while chunk := one.read(1 << 20):
            if chunk != other.read(len(chunk)):
                return False
    return True


def _has_message(root: Path, name: str) -> bool:
    return (templates_root(root) / name / MESSAGE_FILE).is_file()


def _messages_in(root: Path) -> list[str]:
    templates = templates_root(root)
    return [folder.relative_to(templates).as_posix() for folder in message_folders(root)]


def _tree_digest(folder: Path) -> bytes:
    """A digest of every file under a folder, names and contents.

    A symlink counts as its target's name, never followed: the tree is the pull
    request's, and its links may lead anywhere (or to a device that never ends).
    """
    digest = hashlib.blake2b(digest_size=16)
    if folder.is_dir():
        for path in sorted(p for p in folder.rglob("*") if p.is_symlink() or p.is_file()):
            content = str(path.readlink()).encode() if path.is_symlink() else path.read_bytes()
            name = path.relative_to(folder).as_posix().encode()
            digest.update(b"%d %d\0" % (len(name), len(content)) + name + content)
    return digest.digest()


def _status(base: Message | None, head: Message | None, comparison: Comparison) -> Status:
    """What happened to a message that both sides could render."""
    if base is None:
        return "added"
    if head is None:
        return "removed"
    if comparison.changed_users or comparison.added.count or comparison.removed.count:
        return "changed"
    return "unchanged"
