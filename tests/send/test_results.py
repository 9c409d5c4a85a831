"""Results: a run's summary by delivery status and its results file."""

import json

from pipeline.send.journal import Answer, Outbound
from pipeline.send.results import summarize
from tests.send.support import AWS_SPEC, make_requests


def test_a_retry_in_flight_at_a_crash_makes_its_endpoint_unknown_again(journal, tmp_path):
    run = journal.create_run(AWS_SPEC, make_requests(["ana"]))
    [request] = journal.claim([journal.queued(run.id)[0].id])
    retry = Outbound("endpoints", "{}", 1, request.origin, request.id, 2, 0.0, '{"ana-2": "ana"}')
    rows = [
        ("ana", "ana-1", "SUCCESSFUL", 200, "m1", None),
        ("ana", "ana-2", "THROTTLED", 429, None, None),
    ]
    [queued] = journal.record(run.id, [Answer(request.id, "r1", 1, rows, [retry])])
    journal.claim([queued.id])  # the retry left; then the process died

    results = tmp_path / "results.jsonl"
    summary = summarize(journal, run.id, results_file=results)

    lines = [json.loads(line) for line in results.read_text().splitlines()]
    assert [(x["endpoint_id"], x["status"]) for x in lines] == [
        ("ana-1", "SUCCESSFUL"),
        ("ana-2", "UNKNOWN"),
    ]
    assert summary.endpoints == {"SUCCESSFUL": 1}
    assert summary.unknown_users == ["ana"]
    assert summary.exit_code == 3
