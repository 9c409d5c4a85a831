"""Send benchmark: CPU against render + a bare boto3 loop, throughput with latency, vs the AWS CLI.

    python benchmarks/bench_send.py [--users 100000] [--runs 3] [--aws PATH] [--aws-requests 20]
                                     [--workers 1,2]

Every figure comes from one run on the same machine, against sandboxes started as separate
processes (``python -m pipeline sandbox``), with the reference message and a generated
audience. The machine is shared and noisy, hence medians over alternating runs.

1. CPU: ``pipeline send`` (journal, retries, bookkeeping included) against ``pipeline render``
   plus a bare script that sends the same rendered requests with ``send_users_messages`` from
   the same number of threads; the target is send <= 1.3 x (render + bare). The bare script
   keeps botocore's parameter validation on; ``pipeline send`` turns it off because render
   already ran that same validator on every request (see ``pipeline/send/client.py``).
2. Throughput with 50 ms of latency per request: users/s of the send phase (target >= 15,000)
   and of the whole command, render included.
3. The AWS CLI: ``aws pinpoint send-users-messages --cli-input-json`` once per request against
   the same 50 ms sandbox (``--aws`` or ``aws`` on PATH), ``--aws-requests`` of them; without
   it, or with ``--aws-requests 0``, FACTS.md's ~320 users/s.
   To install it apart from the project: ``python -m venv /tmp/awscli &&
   /tmp/awscli/bin/pip install awscli``, then ``--aws /tmp/awscli/bin/aws``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bytecode import compile_package

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "benchmarks" / "data"
PYTHON = sys.executable
NOW = "2026-01-01T00:00:00Z"
APP = "bench"
CONCURRENCY = 64
AWS_CLI_ESTIMATE = 320.0  # users/s, pinpoint/FACTS.md
ENV = {
    **os.environ,
    "AWS_ACCESS_KEY_ID": "sandbox",
    "AWS_SECRET_ACCESS_KEY": "sandbox",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_CONFIG_FILE": str(ROOT / "benchmarks" / "no-aws-config"),
    "AWS_SHARED_CREDENTIALS_FILE": str(ROOT / "benchmarks" / "no-aws-credentials"),
    "PYTHONPATH": str(ROOT),
}
ENV.pop("AWS_PROFILE", None)

BARE = """
import json, sys, time
from concurrent.futures import ThreadPoolExecutor
import boto3
from botocore.config import Config

url, path, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
session = boto3.session.Session()
config = Config(
    retries={"mode": "standard", "total_max_attempts": 10}, max_pool_connections=threads
)
client = session.client("pinpoint", endpoint_url=url, config=config)
with open(path, encoding="utf-8") as lines:
    requests = [json.loads(line) for line in lines]
users = sum(len(request["SendUsersMessageRequest"]["Users"]) for request in requests)
start = time.perf_counter()
with ThreadPoolExecutor(threads) as pool:
    for response in pool.map(lambda request: client.send_users_messages(**request), requests):
        pass
print(f"bare: {users / (time.perf_counter() - start):.0f} users/s", file=sys.stderr)
"""


def audience(count: int) -> Path:
    path = DATA / f"audience_{count}.jsonl"
    if not path.exists():
        script = ROOT / "benchmarks" / "make_audience.py"
        subprocess.run([PYTHON, str(script), str(count), str(path)], check=True)
    return path


def measured(command: list[str], scratch: Path) -> tuple[float, float, str]:
    """Run a command; its wall time, its CPU time (user + system) and its stderr."""
    errors = scratch / "stderr.txt"
    with errors.open("w") as stderr:
        start = time.perf_counter()
        process = subprocess.Popen(command, env=ENV, stdout=subprocess.DEVNULL, stderr=stderr)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    text = errors.read_text()
    if process.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode}):\n{text}")
    return wall, usage.ru_utime + usage.ru_stime, text


class SandboxProcess:
    """``python -m pipeline sandbox`` on a free port, in its own process."""

    def __init__(self, latency_ms: float) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        command = [PYTHON, "-m", "pipeline", "sandbox", "--port", str(self.port), "--in-memory"]
        command += ["--latency-ms", str(latency_ms)]
        self.process = subprocess.Popen(command, env=ENV, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise SystemExit("the sandbox did not start")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=60)

    def __enter__(self) -> SandboxProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def send_command(source: Path, url: str, journal: Path, workers: int | None = None) -> list[str]:
    return [
        *(PYTHON, "-m", "pipeline", "send", "reference", str(source), "--app-id", APP),
        *("--now", NOW, "--root", str(ROOT), "--endpoint-url", url, "--journal", str(journal)),
        *("--concurrency", str(CONCURRENCY)),
        *(() if workers is None else ("--workers", str(workers))),
    ]


def render_command(source: Path, target: Path) -> list[str]:
    return [
        *(PYTHON, "-m", "pipeline", "render", "reference", str(source), "--app-id", APP),
        *("--now", NOW, "--root", str(ROOT), "-o", str(target)),
    ]


def send_phase_rate(stderr: str) -> float:
    """The users/s of the last progress line of ``pipeline send``."""
    rates = re.findall(r"users answered .*\(([\d,]+) users/s\)", stderr)
    return float(rates[-1].replace(",", "")) if rates else float("nan")


def cpu(users: int, source: Path, runs: int, scratch: Path) -> None:
    requests = scratch / "requests.jsonl"
    measured(render_command(source, requests), scratch)
    bare_script = scratch / "bare_send.py"
    bare_script.write_text(BARE)
    render_cpu, bare_cpu, send_cpu = [], [], []
    for n in range(runs):
        # A fresh sandbox for each sender, so its store is the same size for both.
        render_cpu.append(measured(render_command(source, scratch / "r.jsonl"), scratch)[1])
        with SandboxProcess(latency_ms=0) as sandbox:
            bare = [PYTHON, str(bare_script), sandbox.url, str(requests), str(CONCURRENCY)]
            bare_cpu.append(measured(bare, scratch)[1])
        with SandboxProcess(latency_ms=0) as sandbox:
            journal = scratch / f"cpu-{n}.sqlite"
            send_cpu.append(measured(send_command(source, sandbox.url, journal), scratch)[1])
    render, bare_median, send = (statistics.median(x) for x in (render_cpu, bare_cpu, send_cpu))
    print(f"CPU time, {users:,} users, reference message, median of {runs}:")
    print(f"  pipeline render                 {render:6.2f} s")
    print(f"  bare send_users_messages loop   {bare_median:6.2f} s  ({CONCURRENCY} threads)")
    print(f"  pipeline send                   {send:6.2f} s")
    print(
        f"  send / (render + bare)          {send / (render + bare_median):6.2f}x (target <= 1.30)"
    )


def throughput(
    users: int,
    source: Path,
    runs: int,
    scratch: Path,
    aws: str | None,
    calls: int,
    workers: list[int | None],
) -> None:
    requests = scratch / "requests.jsonl"
    measured(render_command(source, requests), scratch)
    bare_script = scratch / "bare_send.py"
    bare_script.write_text(BARE)
    phase: dict[int | None, list[float]] = {count: [] for count in workers}
    whole: dict[int | None, list[float]] = {count: [] for count in workers}
    bare = []
    for n in range(runs):
        with SandboxProcess(latency_ms=50) as sandbox:
            command = [PYTHON, str(bare_script), sandbox.url, str(requests), str(CONCURRENCY)]
            bare.append(float(re.findall(r"bare: (\d+)", measured(command, scratch)[2])[0]))
        order = workers if n % 2 == 0 else workers[::-1]  # alternating, as the load drifts
        for count in order:
            with SandboxProcess(latency_ms=50) as sandbox:
                journal = scratch / f"latency-{n}-{count}.sqlite"
                command = send_command(source, sandbox.url, journal, count)
                wall, _, stderr = measured(command, scratch)
            phase[count].append(send_phase_rate(stderr))
            whole[count].append(users / wall)
    aws_rate = None
    if aws and calls > 0:  # no calls measure 0 users/s, which the ratio below divides by
        with SandboxProcess(latency_ms=50) as sandbox:
            aws_rate = aws_cli_rate(aws, sandbox.url, source, scratch, calls)
    send_rate = statistics.median(phase[workers[0]])
    print(f"Throughput with 50 ms latency, {users:,} users, median of {runs}:")
    for count in workers:
        label = "" if count is None else f" --workers {count}"
        print(f"  send phase{label:12} {statistics.median(phase[count]):9,.0f} users/s"
              " (target >= 15,000)")
        print(f"  whole command{label:9} {statistics.median(whole[count]):9,.0f} users/s"
              " (render included)")
    print(
        f"  bare loop        {statistics.median(bare):9,.0f} users/s (same threads, same sandbox)"
    )
    if aws_rate is None:
        aws_rate = AWS_CLI_ESTIMATE
        why = "--aws-requests 0" if aws else "not installed"
        print(f"  aws CLI          {aws_rate:9,.0f} users/s ({why}: FACTS.md's estimate)")
    else:
        print(f"  aws CLI          {aws_rate:9,.0f} users/s (measured, one process per request)")
    print(f"  send / aws CLI   {send_rate / aws_rate:9,.0f}x (target >= 50)")


def aws_cli_rate(aws: str, url: str, source: Path, scratch: Path, calls: int) -> float:
    requests = scratch / "aws-requests.jsonl"
    measured(render_command(source, requests), scratch)
    users = 0
    start = time.perf_counter()
    with requests.open(encoding="utf-8") as lines:
        for _, line in zip(range(calls), lines, strict=False):
            users += len(json.loads(line)["SendUsersMessageRequest"]["Users"])
            single = scratch / "aws-request.json"
            single.write_text(line)
            command = [aws, "pinpoint", "send-users-messages", "--endpoint-url", url]
            command += ["--cli-input-json", f"file://{single}", "--output", "json"]
            subprocess.run(command, env=ENV, check=True, stdout=subprocess.DEVNULL)
    return users / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--aws", default=shutil.which("aws"), help="The AWS CLI executable.")
    parser.add_argument(
        "--aws-requests",
        type=int,
        default=20,
        help="AWS CLI calls to time; 0 skips them and uses FACTS.md's estimate.",
    )
    parser.add_argument(
        "--workers",
        default="",
        help="Comma-separated --workers values for the throughput sends (e.g. 1,2); "
        "default: the pipeline's own default.",
    )
    parser.add_argument("--skip-cpu", action="store_true")
    parser.add_argument("--skip-throughput", action="store_true")
    options = parser.parse_args()
    if options.aws_requests < 0:
        parser.error("--aws-requests must be 0 or more")
    compile_package(ROOT)
    source = audience(options.users)
    with tempfile.TemporaryDirectory() as folder:
        scratch = Path(folder)
        if not options.skip_cpu:
            cpu(options.users, source, options.runs, scratch)
        if not options.skip_throughput:
            counts: list[int | None] = [int(c) for c in options.workers.split(",") if c] or [None]
            throughput(
                options.users,
                source,
                options.runs,
                scratch,
                options.aws,
                options.aws_requests,
                counts,
            )


if __name__ == "__main__":
    main()
