"""Render benchmark: speed against a bare script, memory as the audience grows, YAML loading.

    python benchmarks/bench_render.py [--runs 5] [--skip-memory] [--skip-yaml]
    python benchmarks/bench_render.py --apis [--runs 5]   # send-messages against the users API

Everything is measured in one run on the same machine, so the ratios are what matters;
the machine is shared and noisy, hence medians over alternating runs.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "benchmarks" / "data"
PYTHON = sys.executable
NOW = "2026-01-01T00:00:00Z"


def audience(count: int, suffix: str = ".jsonl", *, addresses: bool = False) -> Path:
    path = DATA / f"{'devices' if addresses else 'audience'}_{count}{suffix}"
    if not path.exists():
        extra = ["--addresses"] if addresses else []
        subprocess.run([PYTHON, str(ROOT / "benchmarks/make_audience.py"), str(count), str(path),
                        *extra], check=True)
    return path


def render_command(source: Path, target: Path, *api: str) -> list[str]:
    return [PYTHON, "-m", "pipeline", "render", "reference", str(source), "--app-id", "bench",
            "--now", NOW, "-o", str(target), "--root", str(ROOT), *api]


def timed(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def peak_rss_mb(command: list[str]) -> float:
    """Peak resident memory of a command, read from a fresh parent so nothing else counts."""
    probe = (
        "import resource, subprocess, sys; "
        "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    output = subprocess.run([PYTHON, "-c", probe, *command], check=True, capture_output=True,
                            text=True).stdout
    return int(output.strip()) / 1024


def speed(runs: int, scratch: Path) -> None:
    source = audience(100_000)
    bare = [PYTHON, str(ROOT / "benchmarks/bare_render.py"), str(source), str(scratch / "b.jsonl")]
    ours = render_command(source, scratch / "p.jsonl")
    bare_times, our_times = [], []
    for _ in range(runs):
        bare_times.append(timed(bare))
        our_times.append(timed(ours))
    bare_median, our_median = statistics.median(bare_times), statistics.median(our_times)
    print(f"render 100,000 users (reference message, JSON Lines), median of {runs}:")
    print(f"  bare script      {bare_median:6.2f} s  ({100_000 / bare_median:,.0f} users/s)")
    print(f"  pipeline render  {our_median:6.2f} s  ({100_000 / our_median:,.0f} users/s)")
    print(f"  pipeline / bare  {our_median / bare_median:6.2f}x (target: <= 1.00)")


def apis(runs: int, scratch: Path) -> None:
    """render --api send-messages against the users API, alternating, on 100,000 users."""
    plain, devices = audience(100_000), audience(100_000, addresses=True)
    cases = {
        "users API, audience without addresses": render_command(plain, scratch / "u.jsonl"),
        "users API, audience with addresses": render_command(devices, scratch / "a.jsonl"),
        "send-messages (150,000 addresses)": render_command(
            devices, scratch / "m.jsonl", "--api", "send-messages"
        ),
    }
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(runs):
        for name, command in cases.items():
            times[name].append(timed(command))
    medians = {name: statistics.median(values) for name, values in times.items()}
    base = medians["users API, audience with addresses"]
    print(f"render 100,000 users (reference message, JSON Lines), median of {runs}:")
    for name, median in medians.items():
        print(f"  {name:40} {median:6.2f} s  ({100_000 / median:,.0f} users/s, "
              f"{median / base:4.2f}x)")
    for name in ("a.jsonl", "m.jsonl"):
        lines = (scratch / name).read_text("utf-8").splitlines()
        print(f"  {name}: {len(lines):,} requests, {sum(map(len, lines)) / 1e6:,.1f} MB")
    peak = peak_rss_mb(cases["send-messages (150,000 addresses)"])
    print(f"  peak memory of send-messages: {peak:.1f} MB")


def memory(scratch: Path) -> None:
    figures = {}
    for count in (250_000, 1_000_000):
        figures[count] = peak_rss_mb(render_command(audience(count), scratch / "m.jsonl"))
    print("peak memory of pipeline render:")
    for count, megabytes in figures.items():
        print(f"  {count:>9,} users  {megabytes:6.1f} MB")
    growth = figures[1_000_000] - figures[250_000]
    print(f"  growth 250k -> 1M: {growth:.1f} MB (target: < 40 MB; peak target: < 200 MB)")


def yaml_loading(runs: int) -> None:
    import yaml

    from pipeline.audience import load_audience

    source = audience(100_000, ".yaml")
    text = source.read_text("utf-8")
    start = time.perf_counter()
    yaml.load(text, Loader=yaml.SafeLoader)  # noqa: S506 - the pure Python safe loader
    pure = time.perf_counter() - start
    ours = []
    for _ in range(runs):
        start = time.perf_counter()
        count = sum(1 for _ in load_audience(source).users())
        ours.append(time.perf_counter() - start)
    median = statistics.median(ours)
    print(f"load {count:,} users from YAML:")
    print(f"  yaml.safe_load (pure Python)  {pure:6.2f} s")
    print(f"  pipeline (median of {runs})      {median:6.2f} s")
    print(f"  speed-up                      {pure / median:6.1f}x (target: >= 5x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--skip-yaml", action="store_true")
    parser.add_argument("--apis", action="store_true", help="only compare the two send APIs")
    options = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    if options.apis:
        with tempfile.TemporaryDirectory() as scratch:
            apis(options.runs, Path(scratch))
        return
    with tempfile.TemporaryDirectory() as scratch:
        speed(options.runs, Path(scratch))
        if not options.skip_memory:
            memory(Path(scratch))
    if not options.skip_yaml:
        yaml_loading(options.runs)


if __name__ == "__main__":
    main()
