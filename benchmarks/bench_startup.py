"""Start-up cost of the CLI: ``pipeline --help`` and a 24-user render, as a user runs them.

Each command runs as its own process, alternating, so a slow moment of the machine hits
both alike; the medians of wall-clock and CPU time (user + system) are printed.

    python benchmarks/bench_startup.py [--runs 21] [--baseline DIR] [--baseline-path DIR]

``--baseline DIR`` also runs the same commands from another checkout's package (e.g. a
``git worktree`` of an older commit), interleaved, so before and after share one run.
``--baseline-path DIR`` puts a folder of packages first on the baseline's import path, so
an older dependency (``pip install --no-deps --target DIR typer==0.29.2``) can be compared.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bytecode import compile_package

ROOT = Path(__file__).resolve().parent.parent
PIPELINE = str(Path(sys.executable).with_name("pipeline"))
ARGUMENTS = {
    "pipeline --help": ["--help"],
    "pipeline render (24 users)": [
        "render", "order_shipped", "beta_testers", "--app-id", "bench",
        "--now", "2026-01-01T00:00:00Z",
    ],
}


def run_once(
    command: list[str], cwd: Path, env: dict[str, str] | None = None
) -> tuple[float, float]:
    """Run ``command`` in ``cwd`` once; return its wall-clock and CPU seconds."""
    before = os.times()
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = os.times()
    cpu = (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--baseline", type=Path, help="another checkout to compare with")
    parser.add_argument(
        "--baseline-path", type=Path, help="packages put first on the baseline's sys.path"
    )
    args = parser.parse_args()
    compile_package(ROOT)
    commands: dict[str, tuple[list[str], Path, dict[str, str] | None]] = {
        name: ([PIPELINE, *arguments], ROOT, None) for name, arguments in ARGUMENTS.items()
    }
    if args.baseline is not None:
        # ``python -m`` imports the package of the folder it runs in: the baseline's own.
        baseline = args.baseline.resolve()
        compile_package(baseline)
        env = None
        if args.baseline_path is not None:
            env = {**os.environ, "PYTHONPATH": str(args.baseline_path.resolve())}
        for name, arguments in ARGUMENTS.items():
            command = [sys.executable, "-m", "pipeline", *arguments]
            commands[f"{name} [baseline]"] = (command, baseline, env)
    walls: dict[str, list[float]] = {name: [] for name in commands}
    cpus: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(args.runs):
        for name, (command, cwd, env) in commands.items():
            wall, cpu = run_once(command, cwd, env)
            walls[name].append(wall)
            cpus[name].append(cpu)
    print(f"{'command':43} {'median wall':>12} {'median cpu':>11}")
    for name in commands:
        wall, cpu = statistics.median(walls[name]), statistics.median(cpus[name])
        print(f"{name:43} {wall:11.3f}s {cpu:10.3f}s")


if __name__ == "__main__":
    main()
