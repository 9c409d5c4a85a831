"""The concurrent sender: worker threads make the calls, one thread keeps the journal.

The contract, in the order it is kept:

1. A request is marked in flight on disk by the worker that sends it, right before the
   call (one small commit; WAL with ``synchronous=NORMAL`` keeps it across a process
   crash). So after a crash exactly the requests that may have left are unknown; the ones
   queued for a worker are still pending.
2. The main thread owns the rest of the journal: in each turn it records every answer that
   came back and returns failed requests to the queue, in one transaction. Workers parse
   the answers and plan the retries.
3. A call that may have been processed (``CallFailure.maybe_processed``) is never sent
   again automatically, unless lost answers are resent: it stays in flight, its users are
   unknown, and the run goes on; ``--resume --resend-unknown`` or ``--accept-unknown``
   settle them. When ``unknown_limit`` calls in a row end so (the service stopped
   answering), the run stops rather than leave more users unknown.

Ctrl-C (SIGINT, when sending from the main thread) stops taking new requests and waits for
the calls under way, so their answers are journaled; a second Ctrl-C stops at once and
leaves those calls in flight, to be reported as unknown.
"""

from __future__ import annotations

import heapq
import queue
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Protocol

from pipeline.errors import SendError
from pipeline.send.calls import Caller, Outcome
from pipeline.send.client import DEFAULT_CONCURRENCY, CallFailure, PinpointClient, rate_limiter_of
from pipeline.send.journal import (
    ANSWERED,
    HEARTBEAT_SECONDS,
    PENDING,
    STOPPED,
    Claimed,
    Journal,
    Queued,
)
from pipeline.send.retry import DEFAULT_DELIVERY_ATTEMPTS, Backoff
from pipeline.send.senders import SenderPool
from pipeline.workers import can_fork

# A call that still fails after botocore's own retries (throttling, 5xx, network) goes back
# to the queue this many times, after a pause, before the run stops.
REQUEUE_LIMIT = 3
_TICK = 0.2  # seconds between looks at the clock and at Ctrl-C while waiting


class Monitor(Protocol):
    """Receives progress: users rendered, users of rendered requests answered, retries."""

    def rendered(self, users: int) -> None:
        """``users`` more users were rendered into the journal (before sending starts)."""

    def started(self, *, total: int, done: int) -> None:
        """Sending starts; ``done`` users were answered by an earlier attempt of the run."""

    def advanced(self, users: int) -> None:
        """``users`` more users were answered."""

    def retries(self, pending: int) -> None:
        """``pending`` endpoint retries are waiting to be sent or answered."""

    def note(self, text: str) -> None:
        """Something the person sending should know (a pause, a retry, a stop)."""

    def unknown(self, users: int) -> None:
        """``users`` more users are unknown: their call may have been processed, unanswered."""

    def finished(self) -> None:
        """Sending is over (done, or stopped): the numbers given so far are final."""


class QuietMonitor:
    """A monitor that ignores everything."""

    def rendered(self, users: int) -> None:
        """Ignore."""

    def started(self, *, total: int, done: int) -> None:
        """Ignore."""

    def advanced(self, users: int) -> None:
        """Ignore."""

    def retries(self, pending: int) -> None:
        """Ignore."""

    def note(self, text: str) -> None:
        """Ignore."""

    def unknown(self, users: int) -> None:
        """Ignore."""

    def finished(self) -> None:
        """Ignore."""


def send_requests(
    journal: Journal,
    run_id: int,
    *,
    client: PinpointClient,
    concurrency: int = DEFAULT_CONCURRENCY,
    delivery_attempts: int = DEFAULT_DELIVERY_ATTEMPTS,
    backoff: Backoff | None = None,
    monitor: Monitor | None = None,
    clock: Callable[[], float] = time.time,
    resend_lost_answers: bool = False,
    senders: int = 1,
) -> None:
    """Send every pending request of a run, with per-endpoint retries, until none is left.

    ``resend_lost_answers`` sends a call that may have been processed again (at least
    once); by default its users become unknown (at most once). ``senders`` above 1 makes
    the calls in that many forked processes (``pipeline.send.senders``), the journal
    still kept by this one; where fork does not exist, the calls stay in this process.

    Raises:
        SendError: The run stopped part-way (an AWS error, the network, Ctrl-C); what was
            answered is journaled, and ``--resume`` continues.
    """
    if concurrency < 1:
        raise SendError(f"concurrency must be at least 1, not {concurrency}")
    dispatcher = _Dispatcher(
        journal,
        run_id,
        client=client,
        concurrency=concurrency,
        delivery_attempts=delivery_attempts,
        backoff=backoff or Backoff(),
        monitor=monitor or QuietMonitor(),
        clock=clock,
        resend_lost_answers=resend_lost_answers,
    )
    dispatcher.run(senders=min(senders, concurrency) if can_fork() else 1)


class _Dispatcher:
    def __init__(
        self,
        journal: Journal,
        run_id: int,
        *,
        client: PinpointClient,
        concurrency: int,
        delivery_attempts: int,
        backoff: Backoff,
        monitor: Monitor,
        clock: Callable[[], float],
        resend_lost_answers: bool,
    ) -> None:
        self.journal = journal
        self.run_id = run_id
        self.client = client
        self.caller = Caller(client, delivery_attempts, backoff, clock, resend_lost_answers)
        self.concurrency = concurrency
        # Requests handed out ahead of a free worker, so workers never wait for the main
        # thread; they are pending on disk until a worker marks one in flight.
        self.limit = concurrency + max(1, concurrency // 4)
        # Calls in a row that ended unknown; at the limit the service is taken to be gone.
        self.unknown_in_a_row = 0
        self.unknown_limit = max(8, concurrency)
        self.backoff = backoff
        self.monitor = monitor
        self.clock = clock
        self.todo: list[tuple[float, int]] = []
        self.work: queue.SimpleQueue[Claimed | None] = queue.SimpleQueue()
        self.done: queue.SimpleQueue[Outcome] = queue.SimpleQueue()
        self.outstanding = 0
        self.retries_waiting = 0  # retry requests neither answered nor of unknown fate
        self.requeued: dict[int, int] = {}
        self.stop: BaseException | None = None
        # Set once the run stops: workers then hand back, unsent, what was claimed ahead.
        self.halt = threading.Event()
        self.interrupts = 0

    def run(self, *, senders: int = 1) -> None:
        self.todo = [(item.not_before, item.id) for item in self.journal.queued(self.run_id)]
        heapq.heapify(self.todo)
        progress = self.journal.progress(self.run_id)
        self.monitor.started(total=sum(progress.users.values()), done=progress.users[ANSWERED])
        # What is queued beyond the rendered requests still pending are retries.
        self.retries_waiting = len(self.todo) - progress.requests[PENDING]
        if self.retries_waiting:
            self.monitor.retries(self.retries_waiting)
        pool = None
        calls: list[Callable[[Claimed], Outcome]] = [self.caller] * self.concurrency
        if senders > 1:  # forked before this process starts its threads
            limiter = rate_limiter_of(self.client)
            pool = SenderPool(
                self.caller, senders=senders, channels=self.concurrency, limiter=limiter
            )
            calls = [pool.caller(n) for n in range(self.concurrency)]
        workers = [
            threading.Thread(
                target=self._work, args=(call,), name=f"pipeline-send-{n}", daemon=True
            )
            for n, call in enumerate(calls)
        ]
        for worker in workers:
            worker.start()
        try:
            with self._sigint_stops():
                self._loop()
        finally:
            unsent = self._take_back()  # never marked in flight: still pending on disk
            for _ in workers:
                self.work.put(None)
            if pool is not None:
                # Stopping at once leaves calls under way: their senders end with them.
                stopped_at_once = self.interrupts > 1
                if not stopped_at_once:
                    for worker in workers:
                        worker.join()
                pool.close(wait=not stopped_at_once)
        self.outstanding -= unsent
        late = self._collect_ready()
        if late:  # answers that came back after a second Ctrl-C: journal them too
            with self.journal.transaction():
                self._settle(late)
        if self.interrupts and self.stop is None:
            left = self.outstanding
            waiting = f"; {left} requests were still in flight (unknown)" if left else ""
            self.stop = SendError(
                f"run {self.run_id} interrupted{waiting}",
                fix="continue it with the same `pipeline send` command and --resume",
            )
        self.monitor.finished()
        if self.stop is not None:
            self.journal.set_status(self.run_id, STOPPED, error=str(self.stop))
            raise self.stop

    def _loop(self) -> None:
        outcomes: list[Outcome] = []
        beat = self.clock()
        while True:
            with self.journal.transaction():
                if outcomes:
                    self._settle(outcomes)
                if self.clock() - beat >= HEARTBEAT_SECONDS:
                    beat = self.clock()
                    self.journal.heartbeat(self.run_id)  # the run's lease, for other hosts
                stopping = self.stop is not None or self.interrupts > 0
                claimed = [] if stopping else self._claim_due()
            for request in claimed:
                self.work.put(request)
            self.outstanding += len(claimed)
            if self.interrupts > 1 or (self.outstanding == 0 and (stopping or not self.todo)):
                break
            outcomes = self._collect()

    def _take_back(self) -> int:
        """Count the handed-out requests that no worker took (after a second Ctrl-C)."""
        unsent = 0
        while True:
            try:
                request = self.work.get_nowait()
            except queue.Empty:
                return unsent
            if request is not None:
                unsent += 1

    def _claim_due(self) -> list[Claimed]:
        now = self.clock()
        due: list[int] = []
        while self.todo and len(due) < self.limit - self.outstanding:
            if self.todo[0][0] > now:
                break
            due.append(heapq.heappop(self.todo)[1])
        return self.journal.load(due) if due else []

    def _collect(self) -> list[Outcome]:
        timeout = _TICK
        if self.todo and self.outstanding < self.limit:
            timeout = min(_TICK, max(0.0, self.todo[0][0] - self.clock()))
        try:
            first = self.done.get(timeout=timeout)
        except queue.Empty:
            return []
        return [first, *self._collect_ready()]

    def _collect_ready(self) -> list[Outcome]:
        outcomes = []
        while True:
            try:
                outcomes.append(self.done.get_nowait())
            except queue.Empty:
                return outcomes

    def _settle(self, outcomes: list[Outcome]) -> None:
        self.outstanding -= len(outcomes)
        answers = [o.answer for o in outcomes if o.answer is not None]
        added = self.journal.record(self.run_id, answers)
        for item in added:
            heapq.heappush(self.todo, (item.not_before, item.id))
        self._count_retries(outcomes, len(added))
        if answers:
            self.unknown_in_a_row = 0
        released: list[Queued] = []
        for outcome in outcomes:
            if outcome.failure is not None:
                released.extend(self._failed(outcome.request, outcome.failure))
            elif outcome.bug is not None and self.stop is None:
                self.stop = outcome.bug
                self.halt.set()
            # A skipped request was never marked in flight: it is still pending on disk.
        self.journal.release(released)
        users = sum(a.request.users for a in outcomes if a.answer and a.request.rendered)
        if users:
            self.monitor.advanced(users)

    def _count_retries(self, outcomes: list[Outcome], added: int) -> None:
        """Keep the count of waiting retries: new ones in, answered or unknown ones out."""
        settled = sum(
            1
            for o in outcomes
            if not o.request.rendered
            and (o.answer is not None or (o.failure is not None and not o.failure.retry))
        )
        if added or settled:
            self.retries_waiting += added - settled
            self.monitor.retries(self.retries_waiting)

    def _failed(self, request: Claimed, failure: CallFailure) -> list[Queued]:
        if failure.maybe_processed and not failure.retry:
            return self._unknown(request, failure)
        rounds = self.requeued.get(request.id, 0)
        if failure.retry and rounds < REQUEUE_LIMIT and self.stop is None and not self.interrupts:
            self.requeued[request.id] = rounds + 1
            # Longer pauses than between endpoint retries: botocore has already retried.
            delay = self.backoff.delay(rounds + 3)
            item = Queued(request.id, self.clock() + delay)
            heapq.heappush(self.todo, (item.not_before, item.id))
            self.monitor.note(
                f"request {request.seq}: {failure.what}; sending it again in {delay:.1f} s"
            )
            return [item]
        if self.stop is None:
            self.halt.set()
            self.stop = SendError(
                f"run {self.run_id} stopped at request {request.seq}: {failure.what}",
                fix=(failure.fix or "fix the cause")
                + ", then continue with the same `pipeline send` command and --resume",
            )
        # A request that may have been processed stays in flight: reported as unknown.
        return [] if failure.maybe_processed else [Queued(request.id, 0.0)]

    def _unknown(self, request: Claimed, failure: CallFailure) -> list[Queued]:
        """A call that may have been processed: it stays in flight, its users unknown."""
        self.monitor.unknown(request.users)
        self.unknown_in_a_row += 1
        if self.unknown_in_a_row >= self.unknown_limit and self.stop is None:
            self.halt.set()
            self.stop = SendError(
                f"run {self.run_id} stopped: {self.unknown_in_a_row} calls in a row got no "
                f"answer (last: {failure.what})",
                fix="check the network, then continue with the same `pipeline send` command "
                "and --resume",
            )
        return []

    def _work(self, call: Callable[[Claimed], Outcome]) -> None:
        while (request := self.work.get()) is not None:
            if self.halt.is_set():
                self.done.put(Outcome(request, skipped=True))
                continue
            try:
                self.journal.mark_in_flight(request.id)  # committed before a byte leaves
                outcome = call(request)
            except BaseException as bug:  # handed to the main thread, which re-raises it
                outcome = Outcome(request, bug=bug)
            failure = outcome.failure
            if failure is not None and not failure.retry and not failure.maybe_processed:
                self.halt.set()  # no worker sends another request of a run that must stop
            self.done.put(outcome)

    @contextmanager
    def _sigint_stops(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return

        def interrupted(_signum: int, _frame: FrameType | None) -> None:
            self.interrupts += 1
            self.halt.set()
            if self.interrupts == 1:
                self.monitor.note(
                    f"stopping: waiting for the {self.outstanding} requests under way "
                    "(Ctrl-C again to stop at once and leave them unknown)"
                )

        previous = signal.signal(signal.SIGINT, interrupted)
        try:
            yield
        finally:
            if previous is not None:
                signal.signal(signal.SIGINT, previous)
