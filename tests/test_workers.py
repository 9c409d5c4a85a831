"""Worker processes: an ordered map over forked workers, errors raised in task order."""

import multiprocessing
import os

import pytest

from pipeline.errors import AudienceError
from pipeline.workers import WINDOW, RemoteTraceback, WorkerDied, ordered_map, usable_cores


def square_with_pid(number):
    return number * number, os.getpid()


def test_results_come_back_in_task_order_from_several_processes():
    results = list(ordered_map(square_with_pid, range(40), workers=3))
    assert [value for value, _ in results] == [n * n for n in range(40)]
    pids = {pid for _, pid in results}
    assert len(pids) == 3  # each worker is handed tasks before any result is awaited
    assert os.getpid() not in pids


def test_one_worker_maps_in_this_process():
    assert {pid for _, pid in ordered_map(square_with_pid, range(5), workers=1)} == {os.getpid()}


def fail_at_seven(number):
    if number == 7:
        raise AudienceError("bad user", line=7)
    return number


def test_an_error_is_raised_at_its_place_with_the_workers_traceback():
    seen = []
    with pytest.raises(AudienceError, match="bad user") as caught:
        for value in ordered_map(fail_at_seven, range(30), workers=2):
            seen.append(value)
    assert seen == list(range(7))
    assert caught.value.line == 7  # the error's fields survive the pipe
    assert isinstance(caught.value.__cause__, RemoteTraceback)
    assert "fail_at_seven" in str(caught.value.__cause__)


def die_at_three(number):
    if number == 3:
        os._exit(9)
    return number


def test_a_worker_that_dies_is_an_error():
    with pytest.raises(WorkerDied):
        list(ordered_map(die_at_three, range(10), workers=2))


def test_usable_cores_counts_this_process_affinity():
    assert 1 <= usable_cores() <= (os.cpu_count() or 1)


def slow_when_even(number):
    if number % 2 == 0:
        sum(range(100_000))
    return number


def test_every_task_runs_when_results_come_back_out_of_order():
    # With nothing handed out ahead, the odd tasks finish first and wait for the even ones:
    # when those come, everything owed is emitted at once and the map must hand out more
    # before it waits again (it once waited on no worker at all, forever).
    assert list(ordered_map(slow_when_even, range(60), workers=2, ahead=0)) == list(range(60))


def test_results_run_ahead_of_the_one_owed_by_a_bounded_window():
    taken = []

    def tasks():
        for number in range(200):
            taken.append(number)
            yield number

    results = ordered_map(slow_when_even, tasks(), workers=2, ahead=1)
    assert next(results) == 0
    # However fast the odd tasks finish, no more than the window was handed out while the
    # first result was owed (memory stays flat); then everything still comes, in order.
    assert len(taken) <= 2 * (1 + 1) * WINDOW
    assert list(results) == list(range(1, 200))


def test_a_worker_goes_on_while_its_large_result_waits_for_the_parent():
    # A chunk's result is about half a megabyte. The worker must be able to hand one back
    # and start its next task while the parent is busy elsewhere (here: not reading at all),
    # instead of blocking in send() until the parent drains the pipe.
    started = multiprocessing.get_context("fork").Event()  # shared with the forked workers

    def work(number: int) -> bytes:
        if number == 1:
            return b"x" * (256 * 1024)  # more than a socket's default send buffer
        if number == 2:
            started.set()
        return b""

    results = ordered_map(work, range(6), workers=2, ahead=2)
    assert next(results) == b""  # the parent holds here, reading nothing more
    # The first worker was handed tasks 0 to 2; task 2 starts only once the large result
    # of task 1 is in the kernel's buffer. The timeout only ends a failing run.
    assert started.wait(timeout=60), "the worker stayed blocked sending task 1's result"
    assert [len(result) for result in results] == [256 * 1024, 0, 0, 0, 0]
