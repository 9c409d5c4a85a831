"""The array-job examples run the command they show: same options, the shard they expect."""

from __future__ import annotations

import json
import re

import yaml

from tests.helpers import REPO, run_cli

EXAMPLES = REPO / "examples"


def dry_run(args: list[str], env: dict[str, str]) -> object:
    """The example's ``pipeline send`` as a dry run of the repository's sample audience."""
    assert args[0] == "send"
    args = [*args[:2], "beta_testers", *args[3:], "--dry-run", "--root", str(REPO)]
    return run_cli(args, env={"PIPELINE_APP_ID": "app", **env})


def test_the_kubernetes_indexed_job_sends_one_shard_per_index():
    job = yaml.safe_load((EXAMPLES / "kubernetes-indexed-job.yaml").read_text())
    spec = job["spec"]
    [container] = spec["template"]["spec"]["containers"]
    assert spec["completionMode"] == "Indexed"
    assert f"--shards={spec['completions']}" in container["args"]
    assert spec["podFailurePolicy"]["rules"][0]["onExitCodes"]["values"] == [1, 2]
    result = dry_run(container["args"], {"JOB_COMPLETION_INDEX": "7"})
    assert result.exit_code == 0, result.stderr
    assert "shard 8/8 (from JOB_COMPLETION_INDEX=7, --shards 8)" in result.stderr


def test_the_aws_batch_job_definition_reads_its_shard_from_the_array():
    definition = json.loads((EXAMPLES / "aws-batch-job-definition.json").read_text())
    parameters = definition["parameters"]
    command = [
        re.sub(r"^Ref::(\w+)$", lambda m: parameters[m[1]], word)
        for word in definition["containerProperties"]["command"]
    ]
    env = {"AWS_BATCH_JOB_ARRAY_INDEX": "0", "AWS_BATCH_JOB_ARRAY_SIZE": "4"}
    result = dry_run(command, env)
    assert result.exit_code == 0, result.stderr
    assert (
        "shard 1/4 (from AWS_BATCH_JOB_ARRAY_INDEX=0, AWS_BATCH_JOB_ARRAY_SIZE=4)" in result.stderr
    )
    retry = definition["retryStrategy"]["evaluateOnExit"]
    assert retry[0] == {"onExitCode": "3", "action": "RETRY"}  # a run stopped part-way
    assert retry[-1] == {"onExitCode": "*", "action": "EXIT"}


def test_the_dockerfile_installs_the_tool_and_runs_it():
    text = (EXAMPLES / "Dockerfile").read_text()
    assert 'ENTRYPOINT ["pipeline"]' in text
    for copied in re.findall(r"^COPY (\S+)", text, re.MULTILINE):
        assert (REPO / copied).exists(), copied
