"""Merging shard reports: the journals (or results files) of a sharded send, as one summary.

Each shard of a send is a run in a journal of its own, often on another machine; once
their journals (or ``--results`` files) are gathered, ``merge_reports`` adds up their
outcomes and names every shard that is missing (no journal or file holds it) or
unfinished (stopped, still running, users unknown or never sent).

From journals, the send reported is the one of the most recent sharded run they hold
(same message, audience, application, target and number of shards), and each shard's
latest run of it; two journals' different sends started in the same second as the latest
are refused, not guessed between. A results file knows less: its shard is in each line (or
in its name, ``results.shard-2-of-3.jsonl``, for a shard without users), and a shard is
unfinished when some line is an in-flight ``UNKNOWN`` or a ``NOT_SENT``; its lines name an
``address`` for a SendMessages send, an ``endpoint_id`` otherwise.

A SendMessages send's per-recipient results are addresses, not endpoints: the summary
says so (``recipients``), as one run's does; the JSON keeps the keys of one run's summary
(``endpoints_by_status`` counts addresses there too) and adds the send's ``api``.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.api import MESSAGES_API, USERS_API
from pipeline.errors import InputError
from pipeline.pinpoint.limits import SUCCESSFUL
from pipeline.send.journal import FINISHED, UNKNOWN_STATUS, Journal, Run
from pipeline.send.results import NOT_SENT, summarize
from pipeline.send.shardfiles import shard_in_name
from pipeline.shard import Shard, parse_shard

MISSING = "missing"
UNFINISHED = "unfinished"


@dataclass(slots=True)
class ShardReport:
    """One shard's outcome, or its absence.

    Attributes:
        shard: The shard.
        status: The run's status (``finished``, ``stopped``, ``running``, ``interrupted``),
            ``unfinished`` or ``finished`` for a results file, or ``missing``.
        source: The journal or results file it was read from.
        run: The run, when read from a journal.
        users: Users of the shard (from a journal; from a results file, those listed).
        endpoints: Per delivery status, the (user, endpoint) results.
        by_status: Per delivery status, the users with an endpoint in it.
        unknown: Users whose request was in flight when the run stopped.
        not_sent: Users whose request never left.
        note: Why the run stopped, when it says.
    """

    shard: Shard
    status: str = MISSING
    source: Path | None = None
    run: Run | None = None
    users: int = 0
    endpoints: dict[str, int] = field(default_factory=dict)
    by_status: dict[str, int] = field(default_factory=dict)
    unknown: int = 0
    not_sent: int = 0
    note: str | None = None

    @property
    def finished(self) -> bool:
        """Whether the shard's send is over: finished, nothing unknown, nothing left."""
        return self.status == FINISHED and not self.unknown and not self.not_sent


@dataclass(slots=True)
class MergedReport:
    """The outcome of every shard of one send.

    Attributes:
        count: How many shards the send has.
        shards: One report per shard, 1 to ``count``, missing ones included.
        send: Message, audience, application and target, when read from journals.
        api: The send's API (``send-users-messages`` or ``send-messages``); None when
            no file says (results files of shards without users).
    """

    count: int
    shards: list[ShardReport]
    send: dict[str, str] = field(default_factory=dict)
    api: str | None = None

    @property
    def recipients(self) -> str:
        """What per-recipient results are: ``addresses`` for SendMessages, else ``endpoints``."""
        return "addresses" if self.api == MESSAGES_API else "endpoints"

    @property
    def missing(self) -> list[ShardReport]:
        """Shards no journal or results file holds."""
        return [report for report in self.shards if report.status == MISSING]

    @property
    def unfinished(self) -> list[ShardReport]:
        """Shards that were read, but whose send is not over."""
        return [r for r in self.shards if r.status != MISSING and not r.finished]

    def totals(self, what: str) -> dict[str, int]:
        """``endpoints`` or ``by_status`` added up over the shards."""
        total: dict[str, int] = {}
        for report in self.shards:
            for status, count in getattr(report, what).items():
                total[status] = total.get(status, 0) + count
        return dict(sorted(total.items()))

    @property
    def exit_code(self) -> int:
        """3 when a shard is missing or unfinished; else 0 if every delivery succeeded, 1."""
        if self.missing or self.unfinished:
            return 3
        return 0 if set(self.totals("endpoints")) <= {SUCCESSFUL} else 1

    def as_json(self) -> dict[str, Any]:
        """The merged report as plain JSON data."""
        return {
            "send": self.send or None,
            "api": self.api,
            "shards": [
                {
                    "shard": report.shard.label,
                    "status": report.status,
                    "source": None if report.source is None else str(report.source),
                    "run": None if report.run is None else report.run.id,
                    "users": report.users,
                    "endpoints_by_status": dict(sorted(report.endpoints.items())),
                    "users_by_status": dict(sorted(report.by_status.items())),
                    "unknown_users": report.unknown,
                    "not_sent_users": report.not_sent,
                    "note": report.note,
                }
                for report in self.shards
            ],
            "endpoints_by_status": self.totals("endpoints"),
            "users_by_status": self.totals("by_status"),
            "missing": [report.shard.label for report in self.missing],
            "unfinished": [report.shard.label for report in self.unfinished],
            "exit_code": self.exit_code,
        }


def merge_reports(paths: Sequence[Path]) -> MergedReport:
    """Merge the shard reports of journals or results files (or folders holding them).

    Raises:
        InputError: A path that does not exist, a mix of journals and results files,
            nothing sharded among them, or shards of different counts.
    """
    journals, results = _sources(paths)
    if journals and results:
        raise InputError(
            "give the shards' journals or their results files, not both",
            fix="journals say more: pass only those",
        )
    if journals:
        return _from_journals(journals)
    return _from_results(results)


def _sources(paths: Sequence[Path]) -> tuple[list[Path], list[Path]]:
    journals: list[Path] = []
    results: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.glob("*.sqlite") if _is_journal(p))
            journals += found
            if not found:
                results += sorted(p for p in path.glob("*.jsonl") if shard_in_name(p))
        elif path.is_file():
            (journals if _is_journal(path) else results).append(path)
        else:
            raise InputError(f"no journal or results file at {path}")
    if not journals and not results:
        raise InputError(
            f"no journal or results file of a shard in {', '.join(map(str, paths))}",
            fix="pass the shards' journals (journal.shard-I-of-N.sqlite) or a folder of them",
        )
    return journals, results


def _is_journal(path: Path) -> bool:
    """Whether a file is a journal, looked at read-only (the sandbox's store is not one)."""
    try:
        with sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True) as db:
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
    except sqlite3.Error:
        return False
    return "runs" in tables


def _from_journals(paths: list[Path]) -> MergedReport:
    runs: list[tuple[Run, Path]] = []
    for path in paths:
        with Journal(path) as book:
            runs += [(run, path) for run in book.runs() if run.shard is not None]
    if not runs:
        raise InputError(f"no sharded run in {', '.join(map(str, paths))}")
    latest, where = max(runs, key=lambda item: (item[0].created_at, item[0].id))
    _refuse_a_tie(latest, where, runs)
    count = _shard(latest).count
    same = [item for item in runs if _same_send(item[0], latest)]
    reports = [ShardReport(Shard(index, count)) for index in range(1, count + 1)]
    for run, path in sorted(same, key=lambda item: (item[0].created_at, item[0].id)):
        reports[_shard(run).index - 1] = _journal_report(run, path)  # the latest wins
    send = {
        "message": latest.message,
        "audience": latest.audience,
        "application_id": latest.application_id,
        "target": latest.target,
    }
    return MergedReport(count, reports, send, latest.api)


def _refuse_a_tie(latest: Run, where: Path, runs: list[tuple[Run, Path]]) -> None:
    """Refuse to guess when another journal's send started in the same second as the latest.

    A run's start is kept to the second, and run ids only order the runs of one journal, so
    two sends in two journals started in the same second have no order: which one is "the
    send" is the user's call.
    """
    for run, path in runs:
        tie = run.created_at == latest.created_at and path != where
        if tie and not _same_send(run, latest):
            ours, theirs = _send_of(latest), _send_of(run)
            differ = [name for name, value in ours.items() if theirs[name] != value]
            raise InputError(
                f"two sharded sends started at {latest.created_at}, in {where} and {path}; "
                f"they differ in {', '.join(differ)}",
                fix="pass only the journals of the send to report",
            )


def _send_of(run: Run) -> dict[str, object]:
    """What makes runs one send, by the name an error gives it."""
    return {
        "message": run.message,
        "audience": run.audience,
        "application": run.application_id,
        "target": run.target,
        "API": run.api,
        "number of shards": _shard(run).count,
    }


def _same_send(run: Run, latest: Run) -> bool:
    return _send_of(run) == _send_of(latest)


def _journal_report(run: Run, path: Path) -> ShardReport:
    with Journal(path) as book:
        summary = summarize(book, run.id)
        status = "interrupted" if run.orphaned else run.status
    return ShardReport(
        _shard(run),
        status,
        path,
        run,
        run.users,
        summary.endpoints,
        summary.users,
        len(summary.unknown_users),
        summary.not_sent,
        run.error,
    )


def _shard(run: Run) -> Shard:
    assert run.shard is not None
    shard = parse_shard(run.shard)
    assert shard is not None
    return shard


def _from_results(paths: list[Path]) -> MergedReport:
    reports: dict[str, ShardReport] = {}
    apis: set[str] = set()
    for path in paths:
        for label, report, api in _results_of(path):
            if label in reports:
                raise InputError(f"shard {label} is in two results files: {path} and another")
            reports[label] = report
            if api is not None:
                apis.add(api)
    if len(apis) > 1:
        raise InputError(
            "the results files are of sends with --api send-users-messages and send-messages",
            fix="merge the results of one send",
        )
    counts = {report.shard.count for report in reports.values()}
    if len(counts) != 1:
        raise InputError(
            f"the results files are of sends in {' and '.join(map(str, sorted(counts)))} shards",
            fix="merge the results of one send",
        )
    count = counts.pop()
    by_index = {report.shard.index: report for report in reports.values()}
    shards = [
        by_index.get(index) or ShardReport(Shard(index, count)) for index in range(1, count + 1)
    ]
    return MergedReport(count, shards, api=apis.pop() if apis else None)


def _results_of(path: Path) -> Iterator[tuple[str, ShardReport, str | None]]:
    """The shard reports of one results file (one per shard its lines name), and its API.

    The API is read from the lines (``address`` or ``endpoint_id``); None without lines.
    """
    seen: dict[str, tuple[ShardReport, dict[str, set[str]], set[str], set[str]]] = {}
    api: str | None = None
    try:
        lines = path.read_text("utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the results file {path}: {exc}") from exc
    for number, text in enumerate(lines, 1):
        try:
            row = json.loads(text)
            label, status, user = row["shard"], row["status"], row["user_id"]
            api = MESSAGES_API if "address" in row else USERS_API
        except (ValueError, KeyError, TypeError) as exc:
            raise InputError(
                "not a line of a shard's results file",
                path=path,
                line=number,
                fix="pass the --results files of a sharded send",
            ) from exc
        if label not in seen:
            shard = parse_shard(label)
            if shard is None:
                raise InputError(f"shard {label!r} is not one of several", path=path, line=number)
            seen[label] = (ShardReport(shard, FINISHED, path), {}, set(), set())
        report, users, unknown, left = seen[label]
        if status == NOT_SENT:
            left.add(user)
        elif status == UNKNOWN_STATUS and not row.get("attempts"):
            unknown.add(user)  # in flight at the stop (accepted ones were sent: attempts >= 1)
        else:
            report.endpoints[status] = report.endpoints.get(status, 0) + 1
            users.setdefault(status, set()).add(user)
    if not seen and (shard := shard_in_name(path)) is not None:
        yield shard.label, ShardReport(shard, FINISHED, path), None  # a shard without users
    for label, (report, users, unknown, left) in seen.items():
        report.by_status = {status: len(ids) for status, ids in users.items()}
        report.unknown, report.not_sent = len(unknown), len(left)
        report.users = len(set().union(*users.values(), unknown, left))
        if report.unknown or report.not_sent:
            report.status = UNFINISHED
        yield label, report, api
