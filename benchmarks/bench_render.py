"""Render benchmark: speed against a bare script, worker processes, memory, YAML loading.

    python benchmarks/bench_render.py [--runs 5] [--workers 1,2] [--skip-memory] [--skip-yaml]
    python benchmarks/bench_render.py --apis [--runs 5]   # send-messages against the users API
    python benchmarks/bench_render.py --api send-messages --skip-bare --skip-memory --skip-yaml

Everything is measured in one run on the same machine, so the ratios are what matters;
the machine is shared and noisy, hence medians over alternating runs. The speed against
the bare script is at ``--workers 1`` (one process against one process); then each worker
count renders the same audience in turn, and the peak memory (the parent and its workers
together: the largest resident set of the process tree, sampled) is read at 250,000 and
1,000,000 users per worker count.

Each round also measures the machine's ceiling for two processes: two ``--workers 1``
renders of the audience's halves, started at once, against one ``--workers 1`` render of
all of it. No two-worker render of this code can do better than that on this host at that
moment (it is what two cores give two independent processes, start-up paid side by side);
on a shared virtual machine it is well below 2. The share of it that ``--workers 2``
reached, round by round, is printed too: how far the render is from what the host allows.
And what bounds that ceiling: the time no worker count shortens (start-up, compiling the
message, exit: a 10-user render) and what two cores give two plain Python loops, which
together give the best speed-up a render with no cost of parallelism at all could reach.
"""

from __future__ import annotations

import argparse
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


def audience(count: int, suffix: str = ".jsonl", *, addresses: bool = False) -> Path:
    path = DATA / f"{'devices' if addresses else 'audience'}_{count}{suffix}"
    if not path.exists():
        extra = ["--addresses"] if addresses else []
        subprocess.run([PYTHON, str(ROOT / "benchmarks/make_audience.py"), str(count), str(path),
                        *extra], check=True)
    return path


def render_command(source: Path, target: Path, *api: str, workers: int = 1) -> list[str]:
    return [PYTHON, "-m", "pipeline", "render", "reference", str(source), "--app-id", "bench",
            "--now", NOW, "-o", str(target), "--root", str(ROOT), *api, "--workers", str(workers)]


def timed(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def tree_peak_mb(command: list[str]) -> tuple[float, float]:
    """The peak memory of a command with its workers (PSS, summed), and of its largest process.

    ru_maxrss of waited-for children is the largest of them, not their sum, so the tree is
    sampled from /proc every 20 ms instead. A forked worker shares the parent's pages until
    either writes them: the proportional set size (PSS) counts a shared page once in all,
    where resident sizes would count it once per process. The largest single process is
    its resident size (RSS), as ru_maxrss reports it.
    """
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    total = single = 0.0
    while process.poll() is None:
        pids = [process.pid, *_children(process.pid)]
        total = max(total, sum(_memory_mb(pid, "Pss:") for pid in pids))
        single = max(single, *(_memory_mb(pid, "Rss:") for pid in pids))
        time.sleep(0.02)
    if process.returncode:
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode})")
    return total, single


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(child) for child in text.split()]


def _memory_mb(pid: int, field: str) -> float:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith(field):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return 0.0


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
    peak, _ = tree_peak_mb(cases["send-messages (150,000 addresses)"])
    print(f"  peak memory of send-messages: {peak:.1f} MB")


def workers_speed(runs: int, counts: list[int], scratch: Path, api: str) -> None:
    """Each worker count in turn, ``runs`` rounds; the order flips every round.

    The host's load changes from second to second, so the ratio that counts is the one
    within a round (median over rounds), next to the medians of the times. With
    ``--api send-messages`` the audience has addresses (1.5 per user).
    """
    messages = api == "send-messages"
    source = audience(100_000, addresses=messages)
    extra = ("--api", api) if messages else ()
    times: dict[int, list[float]] = {count: [] for count in counts}
    ratios: dict[int, list[float]] = {count: [] for count in counts}
    ceilings: list[float] = []
    shares: list[float] = []
    startups: list[float] = []
    hosts: list[float] = []
    bounds: list[float] = []
    halves = _halves(source) if 1 in counts else None
    tiny = audience(10, addresses=messages)
    outputs = {}
    for round_number in range(runs):
        order = counts if round_number % 2 == 0 else counts[::-1]
        this_round = {}
        for count in order:
            target = scratch / f"w{count}.jsonl"
            this_round[count] = timed(render_command(source, target, *extra, workers=count))
            outputs[count] = target.read_bytes()
        if halves is not None:
            commands = [render_command(half, scratch / f"h{n}.jsonl", *extra) for n, half in
                        enumerate(halves)]
            ceilings.append(this_round[1] / timed_together(commands))
            if 2 in counts:  # the share of that ceiling a two-worker render reached
                shares.append(this_round[1] / this_round[2] / ceilings[-1])
            # What bounds that ceiling: the part no worker count shortens (start-up, the
            # message's compilation, exit: a 10-user render), and what two cores give two
            # processes with no start-up at all (plain Python loops).
            startups.append(timed(render_command(tiny, scratch / "t.jsonl", *extra)))
            hosts.append(timed(_loop(2 * LOOP)) / timed_together([_loop(LOOP), _loop(LOOP)]))
            fixed = startups[-1]
            bounds.append(this_round[1] / (fixed + (this_round[1] - fixed) / hosts[-1]))
        for count in counts:
            times[count].append(this_round[count])
            ratios[count].append(this_round[counts[0]] / this_round[count])
    print(f"render 100,000 users ({api}) by worker count, {runs} rounds (order alternating):")
    for count in counts:
        median = statistics.median(times[count])
        ratio = statistics.median(ratios[count])
        same = "same bytes" if outputs[count] == outputs[counts[0]] else "DIFFERENT OUTPUT"
        print(
            f"  --workers {count}  median {median:6.2f} s  ({100_000 / median:,.0f} users/s)"
            f"  speed-up within a round: median {ratio:4.2f}x  ({same})"
        )
    if ceilings:
        print(
            f"  the machine's ceiling: two --workers 1 renders of 50,000 users each, started"
            f" at once, against --workers 1 on all: median {statistics.median(ceilings):4.2f}x"
        )
    if shares:
        share = statistics.median(shares)
        print(f"  --workers 2 against that ceiling, within a round: median {share:.0%}")
    if startups:
        print(
            f"  what bounds the ceiling: start-up, compilation and exit (a 10-user render)"
            f" {statistics.median(startups):.2f} s; two plain Python loops at once against"
            f" one of twice the work: {statistics.median(hosts):4.2f}x; so at most"
            f" {statistics.median(bounds):4.2f}x with no cost of parallelism at all"
        )


# Iterations of the plain loop that measures the host: about half a second of one core.
LOOP = 10_000_000


def _loop(iterations: int) -> list[str]:
    return [PYTHON, "-c", f"sum(i * i for i in range({iterations}))"]


def _halves(source: Path) -> list[Path]:
    """The audience's first and second 50,000 users, as files of their own."""
    lines = source.read_bytes().splitlines(keepends=True)
    middle = len(lines) // 2
    paths = [source.with_name(f"{source.stem}.half{n}{source.suffix}") for n in (1, 2)]
    for path, part in zip(paths, (lines[:middle], lines[middle:]), strict=True):
        if not path.exists():
            path.write_bytes(b"".join(part))
    return paths


def timed_together(commands: list[list[str]]) -> float:
    """The wall time of ``commands`` started at once, until the last one ends."""
    start = time.perf_counter()
    processes = [subprocess.Popen(c, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                 for c in commands]
    for process in processes:
        if process.wait():
            raise SystemExit(f"{' '.join(process.args)} failed ({process.returncode})")
    return time.perf_counter() - start


def memory(counts: list[int], scratch: Path) -> None:
    print("peak memory of pipeline render (process tree, PSS; largest process, RSS):")
    for workers in counts:
        figures = {}
        for users in (250_000, 1_000_000):
            command = render_command(audience(users), scratch / "m.jsonl", workers=workers)
            figures[users] = tree_peak_mb(command)
        for users, (total, single) in figures.items():
            print(f"  --workers {workers}  {users:>9,} users  {total:6.1f} MB ({single:.1f} MB)")
        growth = figures[1_000_000][0] - figures[250_000][0]
        print(f"  --workers {workers}  growth 250k -> 1M: {growth:.1f} MB (target: < 40 MB)")


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
    parser.add_argument("--workers", default="1,2", help="Worker counts to compare.")
    parser.add_argument("--skip-bare", action="store_true")
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--skip-yaml", action="store_true")
    parser.add_argument("--apis", action="store_true", help="only compare the two send APIs")
    parser.add_argument(
        "--api", default="send-users-messages", choices=("send-users-messages", "send-messages"),
        help="The API whose render the worker counts are compared on.",
    )
    options = parser.parse_args()
    counts = [int(count) for count in options.workers.split(",")]
    compile_package(ROOT)
    sys.path.insert(0, str(ROOT))
    if options.apis:
        with tempfile.TemporaryDirectory() as scratch:
            apis(options.runs, Path(scratch))
        return
    with tempfile.TemporaryDirectory() as scratch:
        if not options.skip_bare:
            speed(options.runs, Path(scratch))
        workers_speed(options.runs, counts, Path(scratch), options.api)
        if not options.skip_memory:
            memory(counts, Path(scratch))
    if not options.skip_yaml:
        yaml_loading(options.runs)


if __name__ == "__main__":
    main()
