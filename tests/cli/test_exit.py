"""The process ends without a last full garbage collection over what the command left alive.

Run in a fresh interpreter, as the console script runs: an atexit handler registered
before ``main`` runs after the CLI's own (handlers run last-registered first), and sees
how often the objects were frozen out of the collector, and that they were.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import atexit, gc, sys
from pipeline.cli import main
freezes = []
freeze = gc.freeze
gc.freeze = lambda: (freezes.append(1), freeze())[1]
atexit.register(lambda: print(len(freezes), gc.get_freeze_count() > 0, file=sys.stderr))
for _ in range(3):  # as the tests call it, more than once in one process
    try:
        main(sys.argv[1:])
    except SystemExit:
        pass
"""


def test_objects_are_frozen_once_before_the_interpreter_exits() -> None:
    finished = subprocess.run(
        [sys.executable, "-c", PROBE, "--version"],
        cwd=ROOT, capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    assert finished.stderr.strip().splitlines()[-1] == "1 True"
