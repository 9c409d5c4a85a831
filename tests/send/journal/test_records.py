"""The journal's records: what a run says about itself, and the refusal of a duplicate."""

import os
import socket

from pipeline.send.journal import FINISHED, RUNNING, STOPPED, SUPERSEDED, Claimed, Run
from pipeline.send.journal.records import duplicate_error

# Above Linux's largest process id (2**22): no process can have it.
NO_SUCH_PID = 2**30


def run(status=RUNNING, pid=None, host=None):
    return Run(
        id=4,
        message="hello",
        audience="audiences/people.jsonl",
        application_id="app-1",
        target="aws",
        region="us-east-1",
        root="/project",
        git_commit="abc",
        content_hash="f00d",
        requests=2,
        users=15,
        status=status,
        error=None,
        pid=pid,
        host=host,
        created_at="2026-01-05T09:30:00+00:00",
        updated_at="2026-01-05T09:31:00+00:00",
        finished_at=None,
    )


def test_a_runs_json_leaves_out_the_process_and_host():
    data = run(pid=123, host="build-7").as_json()
    assert "pid" not in data and "host" not in data
    assert (data["id"], data["status"], data["users"]) == (4, RUNNING, 15)


def test_running_and_stopped_runs_are_unfinished():
    assert run(RUNNING).unfinished and run(STOPPED).unfinished
    assert not run(FINISHED).unfinished and not run(SUPERSEDED).unfinished


def test_a_running_run_whose_process_is_gone_is_orphaned():
    host = socket.gethostname()
    assert run(pid=NO_SUCH_PID, host=host).orphaned
    assert not run(pid=os.getpid(), host=host).orphaned  # this process is alive
    assert not run(pid=NO_SUCH_PID, host="another-host").orphaned  # cannot tell from here
    assert not run(FINISHED, pid=NO_SUCH_PID, host=host).orphaned


def test_a_duplicate_of_an_unfinished_run_points_to_resume():
    error = duplicate_error(run(STOPPED))
    assert str(error).startswith(
        "run 4 (unfinished, started 2026-01-05T09:30:00+00:00) already sent this rendered "
        "content of 'hello' to 'audiences/people.jsonl' for application 'app-1'"
    )
    assert error.fix == "continue it with --resume, or send again anyway with --force"
    assert error.exit_code == 2


def test_a_duplicate_of_a_finished_run_points_to_force():
    error = duplicate_error(run(FINISHED))
    assert "run 4 (finished, started" in str(error)
    assert error.fix == "pass --force to send it again"


def test_a_claimed_retry_is_not_a_rendered_request():
    assert Claimed(1, 1, "users", "{}", None, 1, 1, 10, None).rendered
    assert not Claimed(2, 3, "endpoints", "{}", "{}", 1, 2, 1, 1).rendered
