"""Worker processes: an ordered map of one function over many tasks, on every core.

The workers are forked, so they start in a few milliseconds with everything the parent has
already loaded (the message, its compiled model, a YAML audience's users, the hash seed
that ``IdIndex`` relies on) and the function is never pickled; only the tasks (small
descriptions of chunks) and their results cross a pipe. Spawned workers would pay the
interpreter's start-up and every import again (about a second of CPU for two), which is
more than rendering 100,000 users costs. Where fork does not exist (Windows) the map runs
in the calling process.

Results come back in task order whatever order the workers finish in. At most ``ahead``
tasks wait at each worker, and results run at most a fixed window ahead of the next one
owed, so a slow consumer or a slow task keeps memory flat instead of queueing every result.
An exception a task raises is raised again in the parent, at that task's place in the
order, with the worker's traceback as its cause; a worker that dies is an error too.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import signal
import socket
import traceback
import warnings
from collections.abc import Callable, Generator, Iterable, Iterator
from multiprocessing.connection import Connection, wait
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

# Tasks handed to each worker beyond the one it works on: enough that no worker waits for
# the parent between tasks.
AHEAD = 2
# How far results may run ahead of the next one owed, in multiples of the tasks handed out
# (``workers * (AHEAD + 1)``). At 1, a worker that finished its tasks waits whenever the
# other is on a slower chunk (results come out in order); measured on 100,000 users with
# two workers, that idled one worker 0.1-0.25 s of 1.3 s, and 3 brings it down to the
# time its answers take to cross the pipe, for at most 18 chunks' results (~12 MB) held.
WINDOW = 3
# The kernel buffer for a worker's results, asked for (Linux caps it at net.core.wmem_max and
# doubles what it grants). A chunk's result is about 0.5 MB; with the default of about
# 200 KB, a worker sat blocked in send() whenever the parent was busy stitching and writing,
# 45-60 ms of each worker's 0.58 s on 100,000 users. This lets it hand back a few results
# and go on; they stay within ``WINDOW``'s count, as results not yet received.
RESULT_BUFFER_BYTES = 2 * 1024 * 1024


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity, e.g. a container's cpuset)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def can_fork() -> bool:
    """Whether worker processes can be forked here."""
    return "fork" in multiprocessing.get_all_start_methods()


class WorkerDied(RuntimeError):
    """A worker process ended without answering (killed, out of memory)."""


class RemoteTraceback(Exception):
    """The traceback of an exception raised in a worker, shown as its cause."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text

    def __str__(self) -> str:
        return self.text


def ordered_map(
    work: Callable[[T], R], tasks: Iterable[T], *, workers: int, ahead: int = AHEAD
) -> Generator[R, None, None]:
    """``work(task)`` for every task, computed by ``workers`` forked processes, in order.

    With one worker, or where fork does not exist, the tasks run here, one by one.
    """
    if workers <= 1 or not can_fork():
        yield from map(work, tasks)
        return
    pool = _Pool(work, workers)
    finished = False
    try:
        yield from pool.results(iter(tasks), ahead)
        finished = True
    finally:
        pool.close(wait=finished)


def start_forked(process: Any) -> None:
    """Start a forked process, without the warning about forking while threads run.

    Python 3.12+ warns when forking a process that runs threads (an embedded sandbox, a
    progress display): a lock held by such a thread at the fork stays held in the child.
    The forked processes here (render workers, senders) take no lock those threads use:
    no logging, no terminal, no journal, no sandbox.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        process.start()


class _Pool:
    def __init__(self, work: Callable[[Any], Any], workers: int) -> None:
        context = multiprocessing.get_context("fork")
        self.connections: list[Connection] = []
        self.processes: list[Any] = []
        for number in range(workers):
            parent, child = context.Pipe()
            _widen_send_buffer(child)
            process = context.Process(
                target=_serve, args=(work, child), name=f"pipeline-worker-{number}", daemon=True
            )
            start_forked(process)
            child.close()
            self.connections.append(parent)
            self.processes.append(process)

    def results(self, tasks: Iterator[Any], ahead: int) -> Iterator[Any]:
        owed: dict[Connection, int] = dict.fromkeys(self.connections, 0)
        done: dict[int, tuple[bool, Any]] = {}
        handed = emitted = 0
        limit = len(self.connections) * (ahead + 1) * WINDOW
        exhausted = False
        while True:
            # Hand out tasks to workers with room, while the results not yet emitted stay
            # within ``limit`` (a slow task then holds back at most that many).
            for connection in self.connections:
                while not exhausted and owed[connection] <= ahead and handed - emitted < limit:
                    task = next(tasks, _END)
                    if task is _END:
                        exhausted = True
                        break
                    connection.send((handed, task))
                    owed[connection] += 1
                    handed += 1
            while emitted in done:
                ok, value = done.pop(emitted)
                emitted += 1
                if not ok:
                    error, text = value
                    error.__cause__ = RemoteTraceback(text)
                    raise error
                yield value
            if exhausted and emitted == handed:
                return
            busy = [connection for connection, count in owed.items() if count]
            if not busy:
                continue  # the results just emitted made room: hand out more first
            for ready in wait(busy):
                assert isinstance(ready, Connection)
                try:
                    number, ok, value = ready.recv()
                except (EOFError, OSError):
                    raise WorkerDied("a worker process ended unexpectedly") from None
                owed[ready] -= 1
                done[number] = (ok, value)

    def close(self, *, wait: bool) -> None:
        """End the workers: let them return when every result was taken, else stop them."""
        for connection in self.connections:
            if wait:
                with contextlib.suppress(OSError):
                    connection.send(None)  # no more tasks: the worker returns
            connection.close()
        for process in self.processes:
            if not wait:  # stopped half-way (an error, Ctrl-C): their work is not wanted
                process.terminate()
            process.join()


_END: Any = object()


def _widen_send_buffer(connection: Connection) -> None:
    """Ask for ``RESULT_BUFFER_BYTES`` of send buffer on a duplex pipe's socket."""
    # A duplex multiprocessing pipe is a socket pair; a duplicate of the descriptor is the
    # same socket, so the option set through it holds for the connection.
    with socket.socket(fileno=os.dup(connection.fileno())) as end:
        end.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, RESULT_BUFFER_BYTES)


def _serve(work: Callable[[Any], Any], connection: Connection) -> None:
    """A worker's loop: answer each task with its result, or the exception it raised."""
    # Ctrl-C reaches the whole process group; the parent decides what it means.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # What the worker inherited (the imports, the message, a YAML audience) stays alive: kept
    # out of the cyclic collector's scans, which otherwise grow with it, and out of the
    # copy-on-write faults those scans cause. About 10% of a 100,000-user render.
    gc.freeze()
    while True:
        try:
            message = connection.recv()
        except (EOFError, OSError):  # the parent is gone
            return
        if message is None:
            return
        number, task = message
        try:
            answer = (number, True, work(task))
        except BaseException as exc:  # handed to the parent, which raises it
            answer = (number, False, (exc, traceback.format_exc()))
        try:
            connection.send(answer)
        except Exception:  # the exception itself would not pickle: send its text
            text = traceback.format_exc()
            connection.send((number, False, (RuntimeError(text), text)))
