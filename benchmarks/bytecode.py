"""Benchmarks measure the tool as installed, with its modules' bytecode cached.

pip compiles a package's modules when it installs a wheel, and Python caches the bytecode
of a source tree the first time it imports it, unless ``PYTHONDONTWRITEBYTECODE`` is set,
as it is on some CI and sandbox machines (this one included). There every run of an
editable install compiles the whole package again: about 60 ms of start-up, serial, which
no installed tool pays. So each benchmark that runs the CLI compiles the package first.
"""

from __future__ import annotations

import compileall
from pathlib import Path


def compile_package(root: Path) -> None:
    """Write the bytecode of ``root``'s ``pipeline`` package (up to date ones are kept)."""
    if not compileall.compile_dir(root / "pipeline", quiet=1):
        raise SystemExit(f"could not compile {root / 'pipeline'}")
