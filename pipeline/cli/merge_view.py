"""``pipeline report --merge``'s text: every shard's line, the totals, what is missing.

The totals' middle column counts per-recipient results: ``endpoints``, or ``addresses``
for a SendMessages send, as the summary of one run heads it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import typer

from pipeline.cli.tables import table
from pipeline.send.merge import MISSING, MergedReport, merge_reports


def print_merged(paths: Sequence[Path], *, as_json: bool) -> int:
    """Merge the shards' journals or results files, print the report; its exit code."""
    report = merge_reports(paths)
    typer.echo(json.dumps(report.as_json(), indent=2) if as_json else format_merged(report))
    return report.exit_code


def format_merged(report: MergedReport) -> str:
    """The merged report of a sharded send, as ``pipeline report`` prints it."""
    send = report.send
    done = sum(shard.finished for shard in report.shards)
    what = (
        f"{send['message']} to {send['audience']}, application {send['application_id']}, "
        f"via {send['target']}: "
        if send
        else ""
    )
    lines = [f"Shards of {what}{done} of {report.count} finished"]
    rows = [
        (
            shard.shard.label,
            "-" if shard.run is None else str(shard.run.id),
            shard.status,
            "-" if shard.status == MISSING else f"{shard.users:,}",
            "-" if shard.source is None else str(shard.source),
        )
        for shard in report.shards
    ]
    lines.append(table(("shard", "run", "status", "users", "source"), rows))
    endpoints, users = report.totals("endpoints"), report.totals("by_status")
    totals = [(status, f"{endpoints[status]:,}", f"{users[status]:,}") for status in endpoints]
    unknown = sum(shard.unknown for shard in report.shards)
    not_sent = sum(shard.not_sent for shard in report.shards)
    if unknown:
        totals.append(("UNKNOWN (in flight)", "?", f"{unknown:,}"))
    if not_sent:
        totals.append(("NOT_SENT", "-", f"{not_sent:,}"))
    lines.append(
        table(("status", report.recipients, "users"), totals) if totals else "Nothing answered."
    )
    if report.missing:
        labels = ", ".join(shard.shard.label for shard in report.missing)
        lines.append(f"missing: {labels} (no journal or results file given holds it)")
    for shard in report.unfinished:
        why = f": {shard.note}" if shard.note else ""
        lines.append(f"unfinished: {shard.shard.label} ({shard.status}){why}")
    return "\n".join(lines)
