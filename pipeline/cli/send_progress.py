"""Feedback while sending: a rich progress bar on a terminal, quiet lines otherwise."""

from __future__ import annotations

import sys
import time

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeRemainingColumn,
)


class LineMonitor:
    """Quiet progress for logs and pipes: a line at start, every 10%, and for each note."""

    def __init__(self) -> None:
        self._total = self._done = self._next = self._unknown = 0
        self._start = time.monotonic()

    def __enter__(self) -> LineMonitor:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def started(self, *, total: int, done: int) -> None:
        """Remember the size of the run."""
        self._total, self._done = total, done
        self._next = done + max(1, total // 10)
        self._start = time.monotonic()

    def advanced(self, users: int) -> None:
        """Print a line each time another tenth of the users is answered."""
        self._done += users
        if self._done >= self._next or self._done >= self._total:
            rate = self._done / max(time.monotonic() - self._start, 1e-6)
            unknown = f", {self._unknown:,} unknown" if self._unknown else ""
            print(
                f"{self._done:,}/{self._total:,} users answered ({rate:,.0f}/s){unknown}",
                file=sys.stderr,
            )
            self._next = self._done + max(1, self._total // 10)

    def note(self, text: str) -> None:
        """Print a note."""
        print(text, file=sys.stderr)

    def unknown(self, users: int) -> None:
        """Count users whose call got no answer; the next progress line shows them."""
        self._unknown += users


class RichMonitor:
    """A progress bar on the terminal: users answered, users/s and time left."""

    def __init__(self) -> None:
        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TaskProgressColumn(),
            TextColumn("{task.fields[rate]} users/s"),
            TextColumn("{task.fields[unknown]}"),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=False,
        )
        self._task = self._progress.add_task("preparing", total=None, rate="-", unknown="")
        self._start = time.monotonic()
        self._done = self._unknown = 0

    def __enter__(self) -> RichMonitor:
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()

    def started(self, *, total: int, done: int) -> None:
        """Size the bar."""
        self._start, self._done = time.monotonic(), 0
        self._progress.update(self._task, description="sending", total=total, completed=done)

    def advanced(self, users: int) -> None:
        """Move the bar."""
        self._done += users
        rate = self._done / max(time.monotonic() - self._start, 1e-6)
        self._progress.update(self._task, advance=users, rate=f"{rate:,.0f}")

    def note(self, text: str) -> None:
        """Print a note above the bar."""
        self._progress.console.print(text, markup=False, highlight=False)

    def unknown(self, users: int) -> None:
        """Show how many users are unknown (their call may have been processed, unanswered)."""
        self._unknown += users
        self._progress.update(self._task, unknown=f"{self._unknown:,} unknown")
