"""Feedback while sending: a rich progress bar on a terminal, quiet lines otherwise.

Both show the same numbers: users rendered into the journal while the audience is read,
then users answered out of the run's total, the endpoint retries still waiting, and the
users of unknown fate. "Answered" counts each user of a rendered request once, when that
request's answer comes back, so at the end answered + unknown + not sent is the run's
total, as in the results file. 100% is shown only once no retry is left.
"""

from __future__ import annotations

import sys
import time

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

# A line per this many users rendered, in logs (rendering runs ~50,000 users a second).
RENDER_LINE_EVERY = 100_000


def percent(done: int, total: int, retries: int) -> int:
    """Whole percent answered; never 100 while retries wait or users are unanswered."""
    if total <= 0:
        return 100 if retries == 0 else 99
    share = done * 100 // total
    return share if done < total or retries == 0 else 99


def describe(done: int, total: int, retries: int, unknown: int) -> str:
    """``7,000/10,000 users answered (70%), 37 retries pending, 3 unknown``."""
    text = f"{done:,}/{total:,} users answered ({percent(done, total, retries)}%)"
    if retries:
        text += f", {retries:,} retries pending"
    if unknown:
        text += f", {unknown:,} unknown"
    return text


class _Counts:
    """What both monitors count."""

    def __init__(self) -> None:
        self.rendered = self.total = self.done = self.retries = self.unknown = 0
        self.start = time.monotonic()
        self.sent_from = 0  # users answered before this process took the run over

    def rate(self) -> float:
        return max(self.done - self.sent_from, 0) / max(time.monotonic() - self.start, 1e-6)


class LineMonitor:
    """Quiet progress for logs and pipes: a line per tenth of the users, notes, and the end."""

    def __init__(self) -> None:
        self._counts = _Counts()
        self._next = 0
        self._next_rendered = RENDER_LINE_EVERY

    def __enter__(self) -> LineMonitor:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def rendered(self, users: int) -> None:
        """Count users rendered into the journal; a line every 100,000."""
        counts = self._counts
        counts.rendered += users
        if counts.rendered >= self._next_rendered:
            print(f"{counts.rendered:,} users rendered", file=sys.stderr)
            self._next_rendered = counts.rendered + RENDER_LINE_EVERY

    def started(self, *, total: int, done: int) -> None:
        """Remember the size of the run."""
        counts = self._counts
        counts.total, counts.done, counts.sent_from = total, done, done
        counts.start = time.monotonic()
        self._next = done + max(1, total // 10)

    def advanced(self, users: int) -> None:
        """Print a line each time another tenth of the users is answered."""
        counts = self._counts
        counts.done += users
        if counts.done >= self._next:
            self._print()
            self._next = counts.done + max(1, counts.total // 10)

    def retries(self, pending: int) -> None:
        """Remember how many endpoint retries wait; the next line shows them."""
        self._counts.retries = pending

    def unknown(self, users: int) -> None:
        """Count users whose call got no answer; the next line shows them."""
        self._counts.unknown += users

    def note(self, text: str) -> None:
        """Print a note."""
        print(text, file=sys.stderr)

    def finished(self) -> None:
        """The last line: where the run ended."""
        self._print()

    def _print(self) -> None:
        counts = self._counts
        line = describe(counts.done, counts.total, counts.retries, counts.unknown)
        print(f"{line} ({counts.rate():,.0f} users/s)", file=sys.stderr)


class RichMonitor:
    """A progress bar on the terminal: users rendered, then answered, retries and time left."""

    def __init__(self, console: Console | None = None) -> None:
        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TextColumn("{task.fields[counts]}"),
            TextColumn("{task.fields[rate]}"),
            TimeRemainingColumn(),
            console=console or Console(stderr=True),
            transient=False,
        )
        self._task = self._progress.add_task("rendering", total=None, counts="", rate="")
        self._counts = _Counts()
        self._phase = "rendering"

    def __enter__(self) -> RichMonitor:
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()

    def rendered(self, users: int) -> None:
        """Count users rendered into the journal (the audience's size is not known yet)."""
        counts = self._counts
        counts.rendered += users
        rate = counts.rendered / max(time.monotonic() - counts.start, 1e-6)
        self._progress.update(
            self._task, counts=f"{counts.rendered:,} users rendered", rate=f"{rate:,.0f}/s"
        )

    def started(self, *, total: int, done: int) -> None:
        """Size the bar."""
        counts = self._counts
        counts.total, counts.done, counts.sent_from = total, done, done
        counts.start = time.monotonic()
        self._phase = "sending"
        self._progress.update(self._task, total=total)
        self._refresh()

    def advanced(self, users: int) -> None:
        """Move the bar."""
        self._counts.done += users
        self._refresh()

    def retries(self, pending: int) -> None:
        """Show how many endpoint retries wait."""
        self._counts.retries = pending
        self._refresh()

    def unknown(self, users: int) -> None:
        """Show how many users are unknown (their call may have been processed, unanswered)."""
        self._counts.unknown += users
        self._refresh()

    def note(self, text: str) -> None:
        """Print a note above the bar."""
        self._progress.console.print(text, markup=False, highlight=False)

    def finished(self) -> None:
        """Draw the final numbers."""
        self._phase = "done"
        self._refresh()

    def _refresh(self) -> None:
        counts = self._counts
        waiting = counts.retries > 0 and counts.done >= counts.total
        shown = percent(counts.done, counts.total, counts.retries) * counts.total / 100
        self._progress.update(
            self._task,
            description="retrying" if waiting and self._phase == "sending" else self._phase,
            completed=shown,
            counts=describe(counts.done, counts.total, counts.retries, counts.unknown),
            rate=f"{counts.rate():,.0f} users/s",
        )
