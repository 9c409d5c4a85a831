"""Safe YAML reading: PyYAML's C loader when present, safe tags only, errors with lines."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from pipeline.errors import InputError

# The C loader is ~3x faster; the pure Python one is the fallback where libyaml is missing.
SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# A path into a YAML document: mapping keys and list indexes from the root.
YamlPath = tuple[str | int, ...]
PLAIN_COLLECTION_TAGS = ("tag:yaml.org,2002:map", "tag:yaml.org,2002:seq")
# Appended to a path in the line map: the first line of a block scalar's text.
BLOCK_TEXT = "\0text"


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector: loading builds millions of objects and no cycles."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def read_text(path: Path, error: type[InputError]) -> str:
    """A file's text as UTF-8, or an error naming the line of the first bad byte."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise error(f"cannot read the file: {exc.strerror}", path=path) from exc
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise error(
            f"the file is not UTF-8 (byte 0x{data[exc.start]:02x})",
            path=path,
            line=line,
            fix="save it as UTF-8",
        ) from exc


def load_yaml(text: str, path: Path, error: type[InputError]) -> Any:
    """Parse one YAML document into plain Python values (safe tags only)."""
    try:
        with gc_paused():
            return yaml.load(text, Loader=SafeLoader)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        raise yaml_error(exc, path, error) from exc


def load_yaml_with_lines(
    text: str, path: Path, error: type[InputError]
) -> tuple[Any, dict[YamlPath, int]]:
    """Parse a small YAML document and record the line of every key and list item.

    Also refuses duplicate keys, which YAML would otherwise resolve silently to the last.
    """
    try:
        loader = SafeLoader(text)
        try:
            node = loader.get_single_node()
            lines: dict[YamlPath, int] = {}
            value = _construct(loader, node, (), lines, path, error) if node else None
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        raise yaml_error(exc, path, error) from exc
    return value, lines


def _construct(
    loader: yaml.SafeLoader,
    node: yaml.Node,
    where: YamlPath,
    lines: dict[YamlPath, int],
    path: Path,
    error: type[InputError],
) -> Any:
    lines[where] = node.start_mark.line + 1
    if not isinstance(node, yaml.ScalarNode) and node.tag not in PLAIN_COLLECTION_TAGS:
        raise error(
            f"YAML tag not allowed: {node.tag}",
            path=path,
            line=node.start_mark.line + 1,
            fix="only plain YAML values are accepted (no !!python or custom tags)",
        )
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)  # resolves merge keys (<<) the way PyYAML does
        mapping: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, str | int | float | bool) and key is not None:
                raise error(
                    "a mapping key must be a plain value",
                    path=path,
                    line=key_node.start_mark.line + 1,
                )
            if key in mapping:
                raise error(
                    f"duplicate key {key!r}",
                    path=path,
                    line=key_node.start_mark.line + 1,
                    fix="keep one of the two entries",
                )
            mapping[key] = _construct(loader, value_node, (*where, str(key)), lines, path, error)
            lines[(*where, str(key))] = key_node.start_mark.line + 1
        return mapping
    if isinstance(node, yaml.SequenceNode):
        return [
            _construct(loader, item, (*where, index), lines, path, error)
            for index, item in enumerate(node.value)
        ]
    if isinstance(node, yaml.ScalarNode) and node.style in ("|", ">"):
        # A block scalar's text starts on the line after its indicator.
        lines[(*where, BLOCK_TEXT)] = node.start_mark.line + 2
    return loader.construct_object(node, deep=True)


def yaml_error(exc: yaml.YAMLError, path: Path, error: type[InputError]) -> InputError:
    """Turn a PyYAML error into a one-line input error at the right line."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line = mark.line + 1 if mark is not None else None
    problem = getattr(exc, "problem", None) or str(exc)
    if isinstance(exc, yaml.constructor.ConstructorError) and "tag" in problem:
        return error(
            f"YAML tag not allowed: {problem}",
            path=path,
            line=line,
            fix="only plain YAML values are accepted (no !!python or custom tags)",
        )
    return error(f"invalid YAML: {problem}", path=path, line=line, fix="fix the YAML syntax")
