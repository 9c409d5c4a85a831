"""``pipeline diff --format markdown``: a report ready to post as a pull-request comment.

A heading, a summary table of the messages that changed, then one collapsed
``<details>`` per message with a ``diff`` code fence per group of users. The first line
is a fixed HTML comment, so a CI step can find and update its previous comment.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

from pipeline.review.diff.model import HEAD_LABEL, DiffReport, MessageDiff
from pipeline.review.diff.wording import (
    audience,
    channel_summary,
    code,
    counts,
    diff_lines,
    example_lines,
    hidden,
    measures,
    people,
    scope,
    user_sets,
    users,
    worse,
)

# GitHub refuses comments over 65,536 characters; the margin holds the closing note.
MARKDOWN_LIMIT = 60_000
MARKER = "<!-- pipeline-diff -->"
_DETAILED = ("changed", "added", "removed", "failed")


def format_markdown(report: DiffReport) -> str:
    """A report to post as a pull-request comment: summary table, one ``<details>`` each."""
    detailed = [m for m in report.messages if m.status in _DETAILED]
    compared = scope(report)
    lines = [
        MARKER,
        f"## Rendered message diff: {code(report.base)} → {HEAD_LABEL}",
        "",
        f"Base {code(report.base)} at {code(report.commit[:10])}; both sides rendered at "
        f"{report.now.isoformat()}. "
        + (f"{compared.capitalize()}. " if compared else "")
        + f"{counts(report).capitalize()}.",
        "",
    ]
    if detailed:
        lines += [
            "| Message | Status | Audience | Users | Changed | Added | Removed |",
            "| --- | --- | --- | ---: | ---: | ---: | ---: |",
        ]
        lines += [_table_row(message, report.base) for message in detailed]
        lines.append("")
    else:
        lines += ["No recipient's message changes.", ""]
    for status, title in (("unchanged", "Unchanged"), ("skipped", "Not compared (no audience)")):
        names = [code(m.name) for m in report.messages if m.status == status]
        if names:
            lines += [f"{title}: {', '.join(names)}.", ""]
    text = "\n".join(lines)
    for index, message in enumerate(detailed):
        block = "\n".join(_details(message, report.base)) + "\n"
        if len(text) + len(block) > MARKDOWN_LIMIT:
            text += (
                f"\n_{len(detailed) - index} more message(s) left out to fit a comment: run "
                f"`pipeline diff --base {report.base}` locally to see them._\n"
            )
            break
        text += "\n" + block
    return text


def _table_row(message: MessageDiff, base: str) -> str:
    comparison = message.comparison
    cells = [code(message.name), message.status, audience(message, base, markdown=True)]
    if comparison is None:
        cells += ["", "", "", ""]
    else:
        total = max(comparison.base_users, comparison.head_users)
        added, removed = comparison.added.count, comparison.removed.count
        cells += [f"{total:,}", f"{comparison.changed_users:,}", f"{added:,}", f"{removed:,}"]
    return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"


def _details(message: MessageDiff, base: str) -> Iterator[str]:
    comparison = message.comparison
    summary = f"<strong>{html.escape(message.name)}</strong>: {message.status}"
    if comparison is not None:
        channels = ", ".join(c.channel for c in comparison.channels)
        summary += f", {html.escape(users(message, base))}"
        summary += f" ({channels})" if channels else ""
    yield "<details>"
    yield f"<summary>{summary}</summary>"
    yield ""
    for where, error in (
        (f"at {base}", message.base_error),
        (f"in the {HEAD_LABEL}", message.head_error),
    ):
        if error:
            yield f"Does not render {html.escape(where)}:"
            yield ""
            yield from _fence([error], "text")
    if comparison is not None:
        for channel in comparison.channels:
            yield f"#### {channel.channel}: {channel_summary(channel)}"
            yield ""
            for group in channel.groups:
                line = people(group.users, group.examples, markdown=True)
                if measured := measures(group, "→"):
                    line += f" · {'⚠️ ' if worse(group) else ''}{measured}"
                yield line
                yield ""
                yield from _fence(diff_lines(group), "diff")
            if channel.hidden_users:
                yield f"_{hidden(channel)}_"
                yield ""
        for label, found, heading in user_sets(comparison, base):
            if found.count:
                yield f"Users {label}: {people(found.count, found.examples, markdown=True)}"
                yield ""
                yield from _fence(example_lines(found, heading), "text")
    for note in message.notes:
        yield f"> {html.escape(note)}"
        yield ""
    yield "</details>"


def _fence(lines: list[str], language: str) -> Iterator[str]:
    """A code fence longer than any run of backticks in the text it holds."""
    longest = max((len(run) for run in re.findall(r"`+", "\n".join(lines))), default=0)
    fence = "`" * max(3, longest + 1)
    yield fence + language
    yield from lines
    yield fence
    yield ""
