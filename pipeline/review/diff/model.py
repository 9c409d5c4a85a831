"""What ``pipeline diff`` found: the report, per message, channel, group of users."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

HEAD_LABEL = "working tree"


@dataclass(frozen=True, slots=True)
class Shown:
    """What one user sees on one channel, as kept for an example.

    Attributes:
        title: The title (email subject), or None.
        body: The body, or None (also with raw content).
        payload: The push payload JSON, or the raw content on any channel; else None.
        raw: Whether RawContent replaced everything.
        payload_bytes: UTF-8 size of ``payload``.
        payload_limit: The push service's limit in bytes; None off push channels.
        sms_parts: SMS parts billed; None off SMS or without a body.
        sms_encoding: ``GSM-7`` or ``UCS-2``; None off SMS.
        ucs2_characters: The characters that forced UCS-2.
    """

    title: str | None
    body: str | None
    payload: str | None
    raw: bool
    payload_bytes: int | None
    payload_limit: int | None
    sms_parts: int | None
    sms_encoding: str | None
    ucs2_characters: tuple[str, ...]

    @property
    def over_limit(self) -> bool:
        """Whether the payload is larger than the push service accepts."""
        return (
            self.payload_bytes is not None
            and self.payload_limit is not None
            and self.payload_bytes > self.payload_limit
        )


@dataclass(frozen=True, slots=True)
class ChangeGroup:
    """Users whose text changed by the same edit, with the first one's before and after."""

    users: int
    examples: tuple[str, ...]
    before: Shown | None
    after: Shown | None


@dataclass(frozen=True, slots=True)
class ChannelDiff:
    """The changes on one channel of a message.

    Attributes:
        channel: The channel type, e.g. ``SMS``.
        status: ``changed``; ``added`` or ``removed`` when only one side reaches it.
        users: Users whose text on this channel changed.
        groups: The first groups, in the order of their first user in the audience.
        hidden_groups: Further groups counted but not kept (over ``max_groups``).
        hidden_users: Users in the hidden groups.
    """

    channel: str
    status: str
    users: int
    groups: tuple[ChangeGroup, ...]
    hidden_groups: int
    hidden_users: int


@dataclass(frozen=True, slots=True)
class UserSet:
    """Users on one side only: how many, the first ids, and what the first one receives."""

    count: int = 0
    examples: tuple[str, ...] = ()
    example: tuple[tuple[str, Shown], ...] = ()


@dataclass(frozen=True, slots=True)
class Comparison:
    """The outcome for one message: users per side, changes per channel, users in and out."""

    base_users: int
    head_users: int
    changed_users: int
    channels: tuple[ChannelDiff, ...]
    added: UserSet
    removed: UserSet


Status = Literal["changed", "unchanged", "added", "removed", "skipped", "failed"]


@dataclass(frozen=True, slots=True)
class MessageDiff:
    """One message compared across the two sides.

    Attributes:
        name: The message's folder under templates/.
        status: ``changed`` (some user's text, or the audience, changed), ``unchanged``,
            ``added`` or ``removed`` (the message exists on one side only), ``skipped``
            (no audience to render it for) or ``failed`` (a side does not render).
        base_audience: The audience used at the ref, as a path, or None.
        head_audience: The audience used in the working tree, or None.
        comparison: Users and channels compared; None when nothing was rendered.
        notes: Remarks for the reader, e.g. an audience that exists on one side only.
        base_error: Why the ref's side failed, one line; paths read ``REF:path``.
        head_error: Why the working tree's side failed.
    """

    name: str
    status: Status
    base_audience: str | None = None
    head_audience: str | None = None
    comparison: Comparison | None = None
    notes: tuple[str, ...] = ()
    base_error: str | None = None
    head_error: str | None = None


@dataclass(frozen=True, slots=True)
class DiffReport:
    """Every message compared, in name order, and the revision compared with.

    ``shard`` is ``I/N`` when only the users of that shard were compared, on both sides.
    """

    base: str
    commit: str
    now: datetime
    messages: tuple[MessageDiff, ...]
    shard: str | None = None

    @property
    def changed(self) -> bool:
        """Whether anything differs (or fails to render) between the two sides."""
        return any(m.status not in ("unchanged", "skipped") for m in self.messages)

    @property
    def head_errors(self) -> tuple[MessageDiff, ...]:
        """Messages that fail to render in the working tree."""
        return tuple(m for m in self.messages if m.head_error is not None)
