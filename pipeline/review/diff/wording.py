"""The phrases every diff format shares: a change as diff lines, measures, user counts."""

from __future__ import annotations

import difflib
import json
import re

from pipeline.review.diff.model import (
    HEAD_LABEL,
    ChangeGroup,
    ChannelDiff,
    Comparison,
    DiffReport,
    MessageDiff,
    Shown,
    UserSet,
)

STATUS_ORDER = ("changed", "added", "removed", "failed", "unchanged", "skipped")


def diff_lines(group: ChangeGroup) -> list[str]:
    """The first user's change as unified-diff lines, one ``---``/``+++`` pair per field.

    Single-line fields show as one removed and one added line; multi-line bodies as
    unified-diff hunks with two lines of context. A payload is shown only when neither
    the title nor the body explains its change (a Url, Data or Context edit).
    """
    before, after = group.before, group.after
    fields = [
        ("title", before.title if before else None, after.title if after else None),
        ("body", before.body if before else None, after.body if after else None),
    ]
    text_changed = any(old != new for _, old, new in fields)
    raw = bool(before and before.raw) or bool(after and after.raw)
    if raw or not text_changed:
        old = before.payload if before else None
        new = after.payload if after else None
        fields.append(("raw content" if raw else "payload", _pretty(old), _pretty(new)))
    lines: list[str] = []
    for name, old, new in fields:
        if old == new:
            continue
        lines += [f"--- {name}", f"+++ {name}"]
        old_lines = [] if old is None else old.split("\n")
        new_lines = [] if new is None else new.split("\n")
        if len(old_lines) <= 1 and len(new_lines) <= 1:
            lines += [f"-{line}" for line in old_lines] + [f"+{line}" for line in new_lines]
        else:
            hunks = difflib.unified_diff(old_lines, new_lines, lineterm="", n=2)
            lines += list(hunks)[2:]  # its own ---/+++ header is replaced by the field's
    return lines


def measures(group: ChangeGroup, arrow: str = "->") -> str:
    """The SMS parts and push payload size of the first user, before and after."""
    before, after = group.before, group.after
    parts = []
    if (before and before.sms_parts is not None) or (after and after.sms_parts is not None):
        count = _change(_part(before), _part(after), arrow)
        encoding = _change(_encoding(before), _encoding(after), arrow)
        parts.append(f"SMS parts {count}, {encoding}")
    limit = (after and after.payload_limit) or (before and before.payload_limit)
    if limit:
        size = f"payload {_change(_bytes(before), _bytes(after), arrow)} bytes of {limit:,}"
        parts.append(size + (" (OVER THE LIMIT)" if after and after.over_limit else ""))
    return "; ".join(parts)


def worse(group: ChangeGroup) -> bool:
    """Whether the change costs more SMS parts or crosses a push payload limit."""
    before, after = group.before, group.after
    if before is None or after is None:
        return bool(after and after.over_limit)
    more_parts = (after.sms_parts or 0) > (before.sms_parts or 0)
    return more_parts or (after.over_limit and not before.over_limit)


def scope(report: DiffReport) -> str:
    """Which users were compared when not all of them, e.g. ``only the users of shard 2/3``."""
    return "" if report.shard is None else f"only the users of shard {report.shard}"


def counts(report: DiffReport) -> str:
    """How many messages have each status, e.g. ``2 changed, 1 unchanged``."""
    tally: dict[str, int] = {}
    for message in report.messages:
        tally[message.status] = tally.get(message.status, 0) + 1
    return ", ".join(f"{tally[s]} {s}" for s in STATUS_ORDER if s in tally) or "no messages"


def audience(message: MessageDiff, base: str, *, markdown: bool = False) -> str:
    """The audience of a message, or of each side when they differ."""
    quote = code if markdown else str
    old, new = message.base_audience, message.head_audience
    if old == new or old is None or new is None:
        name = new or old
        return quote(name) if name else ""
    return f"{quote(old)} at {quote(base)}, {quote(new)} in the {HEAD_LABEL}"


def users(message: MessageDiff, base: str) -> str:
    """Users changed out of users compared, e.g. ``3 changed of 24 users``; or just users."""
    comparison = message.comparison
    assert comparison is not None
    old, new = comparison.base_users, comparison.head_users
    if message.status in ("added", "removed"):
        return f"{max(old, new):,} users"
    total = f"{new:,} users" if old == new else f"{old:,} users at {base}, {new:,} now"
    return f"{comparison.changed_users:,} changed of {total}"


def channel_summary(channel: ChannelDiff) -> str:
    """One channel's headline."""
    if channel.status == "added":
        return f"channel added, {channel.users:,} users"
    if channel.status == "removed":
        return f"channel removed, {channel.users:,} users"
    return f"{channel.users:,} users changed"


def people(count: int, examples: tuple[str, ...], *, markdown: bool = False) -> str:
    """``3 users: u-1, u-2 and 1 more``."""
    shown = ", ".join(code(e) if markdown else e for e in examples)
    more = f" and {count - len(examples):,} more" if count > len(examples) else ""
    noun = "user" if count == 1 else "users"
    strong = "**" if markdown else ""
    return f"{strong}{count:,} {noun}{strong}: {shown}{more}"


def hidden(channel: ChannelDiff) -> str:
    """The line for the groups beyond ``max_groups``."""
    return (
        f"and {channel.hidden_users:,} more users in {channel.hidden_groups:,} other "
        "changes (raise --max-groups to see them)"
    )


def user_sets(comparison: Comparison, base: str) -> list[tuple[str, UserSet, str]]:
    """Added and removed users, each with how to introduce its example."""
    return [
        ("added", comparison.added, "receives"),
        ("removed", comparison.removed, f"received at {base}"),
    ]


def example_lines(users: UserSet, heading: str) -> list[str]:
    """What the first user of an added or removed set receives, channel by channel."""
    lines = [f"{users.examples[0]} {heading}:"] if users.examples else []
    for channel, shown in users.example:
        lines.append(f"  {channel}:")
        if shown.raw:
            lines.append(f"    raw content: {shown.payload}")
            continue
        if shown.title is not None:
            lines.append(f"    title: {shown.title}")
        body = (shown.body or "").split("\n")
        lines.append(f"    body: {body[0]}")
        lines += [f"          {line}" for line in body[1:]]
    return lines


def code(text: str) -> str:
    """``text`` as Markdown inline code, whatever backticks it holds."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    ticks = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def _change(old: str, new: str, arrow: str) -> str:
    return old if old == new else f"{old} {arrow} {new}"


def _part(shown: Shown | None) -> str:
    return "-" if shown is None or shown.sms_parts is None else str(shown.sms_parts)


def _encoding(shown: Shown | None) -> str:
    if shown is None or shown.sms_encoding is None:
        return "-"
    forced = "".join(shown.ucs2_characters[:5])
    return f"{shown.sms_encoding} ({forced})" if forced else shown.sms_encoding


def _bytes(shown: Shown | None) -> str:
    return "-" if shown is None or shown.payload_bytes is None else f"{shown.payload_bytes:,}"


def _pretty(payload: str | None) -> str | None:
    """A JSON payload spread over lines, so a diff points at the key that changed."""
    if payload is None:
        return None
    try:
        return json.dumps(json.loads(payload), ensure_ascii=False, indent=2, sort_keys=True)
    except ValueError:
        return payload
