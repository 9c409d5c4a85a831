"""Sender processes: the calls of a run made in forked processes, the journal kept here.

One process sends at most what one core of botocore makes: its threads share one GIL,
and a 100-user call costs milliseconds of CPU (building, signing, reading the answer,
planning retries, packing results). With several senders, the dispatcher's threads stay
as they are, and each still marks its request in flight, committed, before handing it
over; but instead of calling, it hands the request to a forked sender process over a pipe
of its own and waits for the outcome. Each sender serves its pipes with one thread each,
so the calls under way are still ``concurrency`` in all, and ``--max-rps`` is divided
among the senders.

What a sender cannot tell, the run treats as the contract says: a sender that ends during
a call leaves that call of unknown fate (it may have been processed; never sent again
automatically); a request that could not even be handed over never left, and stops the
run with the request pending, to be resumed.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import multiprocessing
import os
import pickle
import signal
import threading
import traceback
from collections.abc import Callable
from dataclasses import replace
from multiprocessing.connection import Connection
from typing import Any

from pipeline.send.calls import Outcome
from pipeline.send.client import CallFailure
from pipeline.send.journal import Claimed
from pipeline.send.ratelimit import RateLimiter
from pipeline.workers import start_forked

SENDER_GONE = "a sender process ended during the call"
SENDER_MISSING = "a sender process is gone: the request was not handed over"

_PR_SET_PDEATHSIG = 1  # linux/prctl.h

# The work a sender does with one request; a test may give another (one that dies).
Call = Callable[[Claimed], Outcome]


class SenderPool:
    """``senders`` forked processes making the calls handed to them on ``channels`` pipes.

    Channel ``n`` is served by sender ``n % senders``; the caller's thread ``n`` uses it.
    """

    def __init__(
        self, call: Call, *, senders: int, channels: int, limiter: RateLimiter | None = None
    ) -> None:
        context = multiprocessing.get_context("fork")
        pipes = [context.Pipe() for _ in range(channels)]
        self._ends = [parent for parent, _ in pipes]
        self.processes: list[Any] = []
        for number in range(senders):
            own = [child for n, (_, child) in enumerate(pipes) if n % senders == number]
            others = [end for n, pair in enumerate(pipes) for end in pair if end not in own]
            process = context.Process(
                target=_serve,
                args=(call, own, others, senders, limiter, os.getpid()),
                name=f"pipeline-sender-{number}",
                daemon=True,
            )
            start_forked(process)
            self.processes.append(process)
        for _, child in pipes:
            child.close()  # only the senders hold them: a sender's end gives EOF here

    def caller(self, channel: int) -> Call:
        """The call that hands a request to the sender of ``channel`` and waits for it."""
        end = self._ends[channel]

        def call(request: Claimed) -> Outcome:
            try:
                end.send(request)
            except (OSError, ValueError):
                failure = CallFailure(SENDER_MISSING, retry=False, maybe_processed=False)
                return Outcome(request, failure=failure)
            try:
                outcome: Outcome = end.recv()
            except (EOFError, OSError):
                failure = CallFailure(SENDER_GONE, retry=False, maybe_processed=True)
                return Outcome(request, failure=failure)
            return outcome

        return call

    def close(self, *, wait: bool = True) -> None:
        """Let the senders go; with ``wait``, until they have ended.

        Without ``wait`` (stopping at once), calls under way may still be answered to no
        one: the senders end when their call does, or with this process.
        """
        if not wait:
            return
        for end in self._ends:
            end.close()
        for process in self.processes:
            process.join()


def _serve(
    call: Call,
    own: list[Connection],
    others: list[Connection],
    senders: int,
    limiter: RateLimiter | None,
    dispatcher: int,
) -> None:
    """A sender's life: serve its channels, each in a thread, until they close."""
    _end_with(dispatcher)
    # As in a render worker (``pipeline.workers``): the dispatcher's heap, inherited, stays
    # out of the cyclic collector's scans. Each answer parsed makes thousands of objects, so
    # full collections run often, and each scanned that whole heap, faulting in its pages.
    gc.freeze()
    # Ctrl-C reaches the whole process group; the dispatcher decides what it means, and
    # the calls under way here must end with their answers handed back.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for end in others:  # another sender's end, held here, would hide its EOF
        end.close()
    if limiter is not None:  # this sender's copy of the client's: its share of --max-rps
        limiter.share(senders)
    threads = [threading.Thread(target=_serve_channel, args=(call, end)) for end in own]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def _end_with(dispatcher: int) -> None:
    """Make this sender end when the dispatcher's process does, killed included (Linux).

    Otherwise a sender outlives a crashed dispatcher until its call is answered, holding
    the terminal's or the job's output open; what it was sending is in flight on disk,
    unknown either way.
    """
    with contextlib.suppress(Exception):  # not Linux: the sender ends when its call does
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != dispatcher:  # it ended before the line above took effect
        os._exit(1)


def _serve_channel(call: Call, end: Connection) -> None:
    while True:
        try:
            request = end.recv()
        except (EOFError, OSError):
            return
        try:
            outcome = call(request)
        except BaseException as bug:  # a bug of the sender: the dispatcher re-raises it
            outcome = Outcome(request, bug=bug)
        if outcome.answer is not None:  # the journal takes the packed results only
            outcome = replace(outcome, answer=outcome.answer.without_rows())
        try:
            end.send(_picklable(outcome))  # pickled whole before a byte is written
        except (EOFError, OSError):
            return  # the dispatcher is gone
        except Exception as error:  # an outcome that cannot cross: say why, never hang
            why = RuntimeError(f"a sender could not hand back its outcome: {error!r}")
            with contextlib.suppress(EOFError, OSError):
                end.send(Outcome(request, bug=why))


def _picklable(outcome: Outcome) -> Outcome:
    """The outcome, its bug replaced by its traceback's text if the bug cannot cross."""
    if outcome.bug is None:
        return outcome
    try:
        pickle.dumps(outcome.bug)
    except Exception:
        text = "".join(traceback.format_exception(outcome.bug))
        return Outcome(outcome.request, bug=RuntimeError(f"in a sender process:\n{text}"))
    return outcome
