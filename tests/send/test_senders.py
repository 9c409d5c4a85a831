"""The sender processes: calls made in forked processes, their deaths read as the contract says."""

from __future__ import annotations

import os

from pipeline.send.calls import Outcome
from pipeline.send.client import CallFailure
from pipeline.send.journal import Answer, Claimed
from pipeline.send.journal.packing import pack_results, unpack_results
from pipeline.send.ratelimit import RateLimiter
from pipeline.send.senders import SENDER_GONE, SENDER_MISSING, SenderPool


def claimed(number: int) -> Claimed:
    return Claimed(number, number, "users", "{}", None, number, 1, 100, None)


def where_it_ran(request: Claimed) -> Outcome:
    """An outcome that says which process made the call (in its failure's text)."""
    if request.seq == 99:
        os._exit(1)  # the sender dies during this call
    failure = CallFailure(f"{os.getpid()}", retry=False, maybe_processed=False)
    return Outcome(request, failure=failure)


def test_the_calls_are_made_by_the_senders_each_channel_by_its_own():
    pool = SenderPool(where_it_ran, senders=2, channels=4)
    try:
        pids = [int(pool.caller(n)(claimed(n)).failure.what) for n in range(4)]  # type: ignore[union-attr]
    finally:
        pool.close()
    senders = [process.pid for process in pool.processes]
    assert pids == [senders[0], senders[1], senders[0], senders[1]]
    assert os.getpid() not in pids


def test_a_sender_that_dies_mid_call_leaves_the_call_unknown_and_the_others_serve_on():
    pool = SenderPool(where_it_ran, senders=2, channels=4)
    try:
        died = pool.caller(0)(claimed(99))
        assert died.failure == CallFailure(SENDER_GONE, retry=False, maybe_processed=True)
        # Its other channel cannot even hand a request over: that one never left.
        pool.processes[0].join()
        missing = pool.caller(2)(claimed(3))
        assert missing.failure == CallFailure(SENDER_MISSING, retry=False, maybe_processed=False)
        alive = pool.caller(1)(claimed(4))
        assert alive.failure is not None and alive.failure.what == str(pool.processes[1].pid)
    finally:
        pool.close()


def test_each_sender_takes_its_share_of_the_rate():
    limiter = RateLimiter(10.0, clock=lambda: 0.0, sleep=lambda _: None)
    limiter.share(4)
    assert limiter.rate == 2.5
    assert limiter.acquire() == 0.0
    assert limiter.acquire() == 0.4  # slots 1 / 2.5 s apart, not 1 / 10


class Unpicklable(Exception):
    def __reduce__(self):
        raise TypeError("cannot cross")


def answers_what_cannot_cross(request: Claimed) -> Outcome:
    if request.seq == 1:
        raise Unpicklable("a bug")  # its traceback's text crosses instead
    failure = CallFailure("x", retry=False, maybe_processed=False)
    # A lambda cannot be pickled: this outcome cannot cross the pipe.
    return Outcome(request, failure=failure, skipped=lambda: None)  # type: ignore[arg-type]


def test_an_outcome_that_cannot_cross_comes_back_as_a_bug_never_a_hang():
    pool = SenderPool(answers_what_cannot_cross, senders=1, channels=1)
    try:
        call = pool.caller(0)
        bug = call(claimed(1)).bug
        assert isinstance(bug, RuntimeError) and "Unpicklable: a bug" in str(bug)
        bug = call(claimed(2)).bug
        assert isinstance(bug, RuntimeError) and "could not hand back" in str(bug)
    finally:
        pool.close()


ROWS = [("u-1", "sms-1", "SUCCESSFUL", 200, "m-1", "MessageId: m-1")]


def answered(request: Claimed) -> Outcome:
    packed = pack_results(ROWS) if request.seq == 1 else None
    return Outcome(request, answer=Answer(request.id, "r-1", 1, ROWS, packed=packed))


def test_an_answer_crosses_with_its_packed_results_only_and_its_rows_when_unpacked():
    pool = SenderPool(answered, senders=1, channels=1)
    try:
        packed, unpacked = pool.caller(0)(claimed(1)).answer, pool.caller(0)(claimed(2)).answer
    finally:
        pool.close()
    assert packed is not None and packed.results == ()
    assert packed.packed is not None and unpack_results(packed.packed) == [list(ROWS[0])]
    assert unpacked is not None and unpacked.results == ROWS and unpacked.packed is None
