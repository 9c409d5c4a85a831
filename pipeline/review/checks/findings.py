"""Lint findings: what a check reports, the table of every check, and grouping by user.

A check that fails for many users reports one finding, not one per user: findings with the
same check, text, place and fix are merged, keeping a count and the first few user ids in
audience order.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

from pipeline.errors import PipelineError
from pipeline.project import MESSAGE_FILE

Severity = Literal["error", "warning"]

# How many user ids a finding names; the count says how many there are in all.
USER_SAMPLE = 5
# How many details (channels, characters) a finding lists before "...".
DETAIL_SAMPLE = 8


@dataclass(frozen=True, slots=True)
class Check:
    """One kind of finding: its id, its fixed severity, and what it catches."""

    id: str
    severity: Severity
    catches: str


CHECKS: Final = {
    check.id: check
    for check in (
        Check("message-invalid", "error", "message.yaml cannot be read: YAML, types, no blocks"),
        Check("unknown-field", "error", "a field, block or key the API does not have"),
        Check("lint-config", "error", "the message's lint: settings are wrong"),
        Check("template-syntax", "error", "a Jinja syntax error in message.yaml or a template"),
        Check("template-not-found", "error", "an include, import or extends of a missing file"),
        Check("undefined", "error", "an undefined value, and the users it fails for"),
        Check("user-in-block", "error", "'user' used in MessageConfiguration, where it is not"),
        Check("render-failed", "error", "a template fails for another reason (filter, sandbox)"),
        Check("sub-undeclared", "error", "sub('Name') where Name is not a declared substitution"),
        Check("sub-unused", "warning", "a PerUser substitution that no template uses"),
        Check("leftover-braces", "error", "{{ }} or {% %} left in what a user receives"),
        Check("hidden-by-override", "warning", "a channel Body/Title an override always hides"),
        Check("missing-url", "error", "Action URL or DEEP_LINK without a Url"),
        Check("raw-content-json", "error", "RawContent that is not JSON"),
        Check("sms-parts", "error", "an SMS over the message's part budget (default 3)"),
        Check("sms-too-long", "error", "an SMS over AWS's 1,530 GSM-7 / 630 UCS-2 limit"),
        Check("sms-ucs2", "warning", "users whose data alone switches a GSM-7 SMS to UCS-2"),
        Check("sms-ucs2-text", "warning", "the message's own SMS text forces UCS-2 on everyone"),
        Check("push-payload", "error", "a push payload over the service's limit"),
        Check("missing-translation", "warning", "translations exist, but not for a locale used"),
        Check("unknown-locale", "warning", "a locale CLDR does not know: formats fall back"),
        Check("trace-id-template", "error", "a TraceId that carries template data"),
        Check("no-audience", "warning", "no audience to render: only static checks ran"),
        Check("audience-invalid", "error", "the audience cannot be read or does not exist"),
    )
}


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem lint found, at a place in a file, for some users (or for all).

    Attributes:
        severity: "error" fails the lint; "warning" fails it only with ``strict``.
        check: The check's id (a key of ``CHECKS``).
        message: What is wrong, in one line.
        file: The file it is in, as given to lint (relative to the current directory when
            the project root is).
        line: The line in ``file``; None when the finding has no single line.
        users: The first few user ids it concerns, in audience order.
        user_count: How many users it concerns in all; 0 when it is not about users.
        fix: How to fix it, when there is one thing to do.
        message_name: The message it was found in.
    """

    severity: Severity
    check: str
    message: str
    file: str | None
    line: int | None
    users: tuple[str, ...] = ()
    user_count: int = 0
    fix: str | None = None
    message_name: str | None = None

    @property
    def location(self) -> str:
        """``file:line``, ``file``, or the message name when there is no file."""
        where = self.file or self.message_name or "-"
        return f"{where}:{self.line}" if self.line else where

    def text(self) -> str:
        """The message with the users it concerns and the fix, in one line."""
        parts = [self.message]
        if self.user_count:
            names = ", ".join(self.users)
            more = ", ..." if self.user_count > len(self.users) else ""
            plural = "user" if self.user_count == 1 else "users"
            parts.append(f" (for {self.user_count:,} {plural}: {names}{more})")
        if self.fix:
            parts.append(f"; {self.fix}")
        return "".join(parts)

    def to_json(self) -> dict[str, Any]:
        """The finding as plain JSON values."""
        return {
            "message_name": self.message_name,
            "severity": self.severity,
            "check": self.check,
            "file": self.file,
            "line": self.line,
            "message": self.message,
            "users": list(self.users),
            "user_count": self.user_count,
            "fix": self.fix,
        }


# (check, message, file, line, fix, detail label): what makes two findings one.
Key = tuple[str, str, str | None, int | None, str | None, str | None]


@dataclass(slots=True)
class _Group:
    users: list[str] = field(default_factory=list)
    count: int = 0
    details: dict[str, None] = field(default_factory=dict)
    largest: int | None = None
    last: str | None = None  # users arrive in order: one seen twice in a row counts once


class FindingCollector:
    """Gathers findings for one message, merging those that differ only by user."""

    def __init__(self, message_name: str) -> None:
        self.message_name = message_name
        self._groups: dict[Key, _Group] = {}
        self._paths: dict[str | Path | None, str | None] = {}

    def add(
        self,
        check: str,
        message: str,
        *,
        path: str | Path | None,
        line: int | None = None,
        fix: str | None = None,
        user_id: str | None = None,
        details: Iterable[str] = (),
        largest: int | None = None,
        label: str | None = None,
    ) -> Key:
        """Record a finding (for ``user_id`` if given); returns its key for ``attach``.

        ``details`` are gathered over every user and listed after ``label``, e.g. the
        channels a leftover appears on or the characters that forced UCS-2; ``largest``
        keeps the largest value seen (a payload size), shown after ``label``.
        """
        shown = self._paths.get(path)
        if shown is None:
            shown = self._paths[path] = _display(path)
        key: Key = (check, message, shown, line, fix, label)
        group = self._groups.get(key)
        if group is None:
            group = self._groups[key] = _Group()
        if user_id is not None:
            self._attach(group, user_id)
        for detail in details:
            if len(group.details) > DETAIL_SAMPLE:
                break  # enough to show and to know there are more
            group.details[detail] = None
        if largest is not None and (group.largest is None or largest > group.largest):
            group.largest = largest
        return key

    def add_error(self, check: str, error: PipelineError, *, user_id: str | None = None) -> Key:
        """Record a pipeline error as a finding at its file and line.

        The message.yaml field is named when the error is in message.yaml; an error in an
        included file is the same finding whichever field includes the file.
        """
        message = error.what
        if error.field is not None and Path(error.path or "").name == MESSAGE_FILE:
            message = f"{message} (in {error.field})"
        return self.add(
            check, message, path=error.path, line=error.line, fix=error.fix, user_id=user_id
        )

    def attach(self, key: Key, user_id: str) -> None:
        """Count one more user for a finding already recorded.

        Recorded here, or in the collector this one will be merged into: a worker records
        each chunk apart, and a finding all users of a locale share was recorded in the
        chunk where the locale was first seen.
        """
        group = self._groups.get(key)
        if group is None:
            group = self._groups[key] = _Group()
        self._attach(group, user_id)

    def merge(self, later: FindingCollector) -> None:
        """Add the findings of the users that come after this collector's (a later chunk).

        The result is the collector that had seen both runs of users, in order: counts add
        up, the first user ids and details are kept in order, the largest value wins.
        """
        for key, theirs in later._groups.items():
            group = self._groups.get(key)
            if group is None:
                group = self._groups[key] = _Group()
            group.users.extend(theirs.users[: USER_SAMPLE - len(group.users)])
            group.count += theirs.count
            for detail in theirs.details:
                if len(group.details) > DETAIL_SAMPLE:
                    break
                group.details[detail] = None
            if theirs.largest is not None and (
                group.largest is None or theirs.largest > group.largest
            ):
                group.largest = theirs.largest
            group.last = theirs.last if theirs.last is not None else group.last

    def attach_many(self, key: Key, sample: Sequence[str], count: int) -> None:
        """Count ``count`` more users for a finding, of whom ``sample`` are the first."""
        group = self._groups[key]
        group.users.extend(sample[: USER_SAMPLE - len(group.users)])
        group.count += count

    @staticmethod
    def _attach(group: _Group, user_id: str) -> None:
        if group.last == user_id:
            return
        group.last = user_id
        group.count += 1
        if len(group.users) < USER_SAMPLE:
            group.users.append(user_id)

    def findings(self, *, ignore: frozenset[str] = frozenset()) -> list[Finding]:
        """Every finding not ignored, sorted by file, line and check."""
        found = []
        for (check, message, path, line, fix, label), group in self._groups.items():
            if check in ignore:
                continue
            if label is not None and group.details:
                details = list(group.details)
                shown = ", ".join(details[:DETAIL_SAMPLE])
                more = ", ..." if len(details) > DETAIL_SAMPLE else ""
                message = f"{message} ({label} {shown}{more})"
            elif label is not None and group.largest is not None:
                message = f"{message} ({label} {group.largest:,})"
            found.append(
                Finding(
                    severity=CHECKS[check].severity,
                    check=check,
                    message=message,
                    file=path,
                    line=line,
                    users=tuple(group.users),
                    user_count=group.count,
                    fix=fix,
                    message_name=self.message_name,
                )
            )
        found.sort(key=lambda f: (f.file or "", f.line or 0, f.check, f.message))
        return found


def _display(path: str | Path | None) -> str | None:
    """A file as findings show it: relative to the current directory when it is under it.

    Jinja reports included files by absolute path while message.yaml is known by the
    path it was given, so one file would otherwise appear under two names.
    """
    if not path:
        return None
    given = Path(path)
    if given.is_absolute():
        try:
            return str(given.relative_to(Path.cwd()))
        except ValueError:
            return str(given)
    return str(given)
