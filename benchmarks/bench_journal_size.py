"""Journal size: bytes per user after a send, and after ``pipeline runs prune``.

    python benchmarks/bench_journal_size.py [--users 100000]

Sends the reference message to a generated audience through a sandbox started as a
separate process (as ``bench_send.py`` does), with a results file, then measures the
journal on disk (database and WAL); prunes the run (``--older-than 0d``) and measures it
again. The target is at most 150 bytes per user after a send. For comparison it also
prints what the same run's stored requests and answers take as plain JSON text, which is
how journals stored them before compression.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_send import ENV, PYTHON, SandboxProcess, audience, send_command  # noqa: E402

from pipeline.send.journal.packing import unpack, unpack_results  # noqa: E402
from pipeline.send.journal.prune import disk_size  # noqa: E402


def plain_text_bytes(journal: Path) -> int:
    """What the journal's request bodies and answers would take uncompressed."""
    with sqlite3.connect(journal) as db:
        bodies = sum(
            len(unpack(body).encode()) for (body,) in db.execute("SELECT body FROM requests")
        )
        answers = db.execute("SELECT results FROM answers")
        results = sum(len(json.dumps(unpack_results(text)).encode()) for (text,) in answers)
    return bodies + results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=100_000)
    args = parser.parse_args()
    source = audience(args.users)
    with tempfile.TemporaryDirectory() as scratch, SandboxProcess(latency_ms=0) as sandbox:
        journal = Path(scratch) / "journal.sqlite"
        command = [*send_command(source, sandbox.url, journal), "--results", f"{scratch}/r.jsonl"]
        subprocess.run(
            command, env=ENV, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        sent = disk_size(journal)
        plain = plain_text_bytes(journal)
        prune = [
            PYTHON,
            "-m",
            "pipeline",
            "runs",
            "prune",
            "--older-than",
            "0d",
            "--journal",
            str(journal),
        ]
        subprocess.run(prune, env=ENV, check=True, stdout=subprocess.DEVNULL)
        pruned = disk_size(journal)
    users = args.users
    print(f"{'measurement':<52} {'bytes':>12} {'per user':>9}")
    rows = [
        ("journal after the send", sent),
        ("  its requests and answers as plain JSON text", plain),
        ("journal after `pipeline runs prune --older-than 0d`", pruned),
    ]
    for name, size in rows:
        print(f"{name:<52} {size:>12,} {size / users:>9.1f}")


if __name__ == "__main__":
    main()
