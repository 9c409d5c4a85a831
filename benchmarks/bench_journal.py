"""What marking a request in flight costs: one commit per request, right before it leaves.

    python benchmarks/bench_journal.py [--requests 2000] [--rounds 5]

Each round makes a journal of ``--requests`` 100-user requests and marks them in flight
three ways, each timed per request (medians over the rounds):

- ``mark_in_flight``, one commit per request, as the sending threads do (WAL, NORMAL);
- the same with ``synchronous=FULL`` (an fsync per commit), for comparison;
- ``claim`` in batches of 64, one commit per batch (what the sender did before: cheaper,
  but a crash then reported the whole batch as unknown).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from pipeline.send.journal import Journal, RunSpec

SPEC = RunSpec(message="m", audience="a", application_id="app", target="t", region=None, root="/")


def requests(count: int) -> list[dict[str, object]]:
    users = {f"u-{n:03d}": {"Substitutions": {"Name": [f"user {n}"]}} for n in range(100)}
    body = {"MessageConfiguration": {"SMSMessage": {"Body": "Hi {{Name}}"}}, "Users": users}
    return [{"ApplicationId": "app", "SendUsersMessageRequest": body} for _ in range(count)]


def per_request(count: int, mark: Callable[[Journal, list[int]], None], full: bool) -> float:
    with tempfile.TemporaryDirectory() as scratch:
        journal = Journal(Path(scratch) / "journal.sqlite")
        if full:
            journal._db.execute("PRAGMA synchronous=FULL")  # noqa: SLF001
        run = journal.create_run(SPEC, requests(count))  # type: ignore[arg-type]
        ids = [item.id for item in journal.queued(run.id)]
        started = time.perf_counter()
        mark(journal, ids)
        elapsed = time.perf_counter() - started
        journal.close()
    return elapsed / count * 1e6


def one_by_one(journal: Journal, ids: list[int]) -> None:
    for request_id in ids:
        journal.mark_in_flight(request_id)


def one_by_one_full(journal: Journal, ids: list[int]) -> None:
    journal.mark_in_flight(ids[0])  # opens the marker connection
    assert journal._marker is not None  # noqa: SLF001
    journal._marker.execute("PRAGMA synchronous=FULL")  # noqa: SLF001
    for request_id in ids[1:]:
        journal.mark_in_flight(request_id)


def batched(journal: Journal, ids: list[int]) -> None:
    for start in range(0, len(ids), 64):
        journal.claim(ids[start : start + 64])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    ways = {
        "mark_in_flight, NORMAL (the sender)": (one_by_one, False),
        "mark_in_flight, FULL": (one_by_one_full, True),
        "claim in batches of 64": (batched, False),
    }
    times: dict[str, list[float]] = {name: [] for name in ways}
    for _ in range(args.rounds):
        for name, (mark, full) in ways.items():
            times[name].append(per_request(args.requests, mark, full))
    for name in ways:
        print(f"{name:38} {statistics.median(times[name]):8.1f} us per request")


if __name__ == "__main__":
    main()
