"""``pipeline diff`` reports as text for terminals and as JSON for tools.

Every format is a pure function of the report: no timestamps, no temporary paths, the
report's own order (message name, channel, first user in audience order), so the same
change gives byte-identical output.
"""

from __future__ import annotations

import json
from typing import Any

from pipeline.review.diff.model import (
    HEAD_LABEL,
    ChannelDiff,
    DiffReport,
    MessageDiff,
    Shown,
    UserSet,
)
from pipeline.review.diff.wording import (
    audience,
    channel_summary,
    counts,
    diff_lines,
    example_lines,
    hidden,
    measures,
    people,
    scope,
    user_sets,
    users,
)


def format_text(report: DiffReport) -> str:
    """A report for a terminal."""
    compared = scope(report)
    lines = [
        f"pipeline diff: {report.base} ({report.commit[:10]}) -> {HEAD_LABEL}, "
        f"rendered at {report.now.isoformat()}" + (f"; {compared}" if compared else ""),
        "",
    ]
    for message in report.messages:
        lines += _text_message(message, report.base)
    lines += ["", "Summary: " + counts(report)]
    return "\n".join(lines) + "\n"


def _text_message(message: MessageDiff, base: str) -> list[str]:
    head = f"{message.name}: {message.status}"
    comparison = message.comparison
    if message.base_audience or message.head_audience:
        head += f" ({audience(message, base)}"
        head += f"; {users(message, base)})" if comparison is not None else ")"
    lines = [head]
    lines += [f"  at {base}: {message.base_error}"] if message.base_error else []
    lines += [f"  in the {HEAD_LABEL}: {message.head_error}"] if message.head_error else []
    if comparison is not None:
        for channel in comparison.channels:
            lines.append(f"  {channel.channel}: {channel_summary(channel)}")
            for group in channel.groups:
                lines.append(f"    {people(group.users, group.examples)}")
                if measured := measures(group):
                    lines.append(f"    {measured}")
                lines += [f"      {line}" for line in diff_lines(group)]
            if channel.hidden_users:
                lines.append(f"    {hidden(channel)}")
        for label, found, heading in user_sets(comparison, base):
            if found.count:
                lines.append(f"  users {label}: {people(found.count, found.examples)}")
                lines += [f"    {line}" for line in example_lines(found, heading)]
    lines += [f"  note: {note}" for note in message.notes]
    return lines


def format_json(report: DiffReport) -> str:
    """The report as JSON, keys in a fixed order, for tools."""
    document = {
        "base": report.base,
        "commit": report.commit,
        "now": report.now.isoformat(),
        "shard": report.shard,
        "changed": report.changed,
        "messages": [_message_json(message) for message in report.messages],
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def _message_json(message: MessageDiff) -> dict[str, Any]:
    comparison = message.comparison
    document: dict[str, Any] = {
        "name": message.name,
        "status": message.status,
        "audience": {"base": message.base_audience, "head": message.head_audience},
        "users": None,
        "channels": [],
        "added_users": None,
        "removed_users": None,
        "notes": list(message.notes),
        "errors": {"base": message.base_error, "head": message.head_error},
    }
    if comparison is not None:
        document["users"] = {
            "base": comparison.base_users,
            "head": comparison.head_users,
            "changed": comparison.changed_users,
            "added": comparison.added.count,
            "removed": comparison.removed.count,
        }
        document["channels"] = [_channel_json(channel) for channel in comparison.channels]
        document["added_users"] = _users_json(comparison.added)
        document["removed_users"] = _users_json(comparison.removed)
    return document


def _channel_json(channel: ChannelDiff) -> dict[str, Any]:
    return {
        "channel": channel.channel,
        "status": channel.status,
        "users": channel.users,
        "groups": [
            {
                "users": group.users,
                "examples": list(group.examples),
                "before": _shown_json(group.before),
                "after": _shown_json(group.after),
                "diff": diff_lines(group),
            }
            for group in channel.groups
        ],
        "hidden_groups": channel.hidden_groups,
        "hidden_users": channel.hidden_users,
    }


def _users_json(found: UserSet) -> dict[str, Any]:
    return {
        "count": found.count,
        "examples": list(found.examples),
        "example": {channel: _shown_json(shown) for channel, shown in found.example},
    }


def _shown_json(shown: Shown | None) -> dict[str, Any] | None:
    if shown is None:
        return None
    sms = None
    if shown.sms_parts is not None:
        sms = {
            "parts": shown.sms_parts,
            "encoding": shown.sms_encoding,
            "ucs2_characters": list(shown.ucs2_characters),
        }
    return {
        "title": shown.title,
        "body": shown.body,
        "raw": shown.raw,
        "payload": shown.payload,
        "payload_bytes": shown.payload_bytes,
        "payload_limit": shown.payload_limit,
        "sms": sms,
    }
