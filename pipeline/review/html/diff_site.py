"""``pipeline diff --format html``: each change's users, before and after on the same devices.

One self-contained page, in the report's own order, with the same words as the Markdown
comment (``diff.wording``); every group of users shows its first user's message at the
base and in the working tree side by side, on the mock-ups of the preview site.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipeline.review.diff.model import (
    HEAD_LABEL,
    ChangeGroup,
    ChannelDiff,
    DiffReport,
    MessageDiff,
    UserSet,
)
from pipeline.review.diff.wording import (
    audience,
    channel_summary,
    counts,
    diff_lines,
    hidden,
    measures,
    people,
    scope,
    user_sets,
    users,
    worse,
)
from pipeline.review.html.pages import render_page
from pipeline.review.html.sitedir import Site, write_site
from pipeline.review.html.views import ChannelView, view_shown

_DETAILED = ("changed", "added", "removed", "failed")


@dataclass(frozen=True, slots=True)
class GroupView:
    """One group of users with the same change: who, the measures, both sides drawn."""

    people: str
    measures: str
    worse: bool
    before: ChannelView | None
    after: ChannelView | None
    lines: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ChannelSection:
    """One channel of a message: its headline, its groups, what was left out."""

    channel: str
    summary: str
    groups: tuple[GroupView, ...]
    hidden: str | None


@dataclass(frozen=True, slots=True)
class UserSetView:
    """Users on one side only, and what the first one receives on each channel."""

    label: str
    people: str
    heading: str
    example_user: str | None
    views: tuple[ChannelView, ...]


@dataclass(frozen=True, slots=True)
class MessageSection:
    """One message of the report, as the page shows it."""

    message: MessageDiff
    audience: str
    users: str | None
    channels: tuple[ChannelSection, ...]
    user_sets: tuple[UserSetView, ...]


def write_diff_site(report: DiffReport, target: Path) -> Site:
    """The report's site, written to the folder ``target`` all or nothing."""
    site = build_diff_site(report)
    write_site(site, target)
    return site


def build_diff_site(report: DiffReport) -> Site:
    """The report as a site: ``index.html``, a pure function of the report."""
    detailed = [m for m in report.messages if m.status in _DETAILED]
    sections = [_section(message, report.base) for message in detailed]
    others = {
        title: [m.name for m in report.messages if m.status == status]
        for status, title in (("unchanged", "Unchanged"), ("skipped", "Not compared (no audience)"))
    }
    page = render_page(
        "diff.html.j2",
        report=report,
        head_label=HEAD_LABEL,
        counts=counts(report),
        scope=scope(report),
        sections=sections,
        others={title: names for title, names in others.items() if names},
    )
    return {"index.html": page}


def _section(message: MessageDiff, base: str) -> MessageSection:
    comparison = message.comparison
    if comparison is None:
        return MessageSection(message, audience(message, base), None, (), ())
    return MessageSection(
        message=message,
        audience=audience(message, base),
        users=users(message, base),
        channels=tuple(_channel(channel) for channel in comparison.channels),
        user_sets=tuple(
            _user_set(label, found, heading)
            for label, found, heading in user_sets(comparison, base)
            if found.count
        ),
    )


def _channel(channel: ChannelDiff) -> ChannelSection:
    return ChannelSection(
        channel=channel.channel,
        summary=channel_summary(channel),
        groups=tuple(_group(channel.channel, group) for group in channel.groups),
        hidden=hidden(channel) if channel.hidden_users else None,
    )


def _group(channel: str, group: ChangeGroup) -> GroupView:
    return GroupView(
        people=people(group.users, group.examples),
        measures=measures(group, "→"),
        worse=worse(group),
        before=None if group.before is None else view_shown(channel, group.before),
        after=None if group.after is None else view_shown(channel, group.after),
        lines=tuple(diff_lines(group)),
    )


def _user_set(label: str, found: UserSet, heading: str) -> UserSetView:
    return UserSetView(
        label=label,
        people=people(found.count, found.examples),
        heading=heading,
        example_user=found.examples[0] if found.examples else None,
        views=tuple(view_shown(channel, shown) for channel, shown in found.example),
    )
