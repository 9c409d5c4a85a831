"""Safe YAML reading: PyYAML's C loader when present, safe tags only, errors with lines."""

from __future__ import annotations

import gc
import sys
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
MERGE_TAG = "tag:yaml.org,2002:merge"
INT_TAG = "tag:yaml.org,2002:int"
# Aliases may expand a document to at most this many values plus this many per character.
ALIAS_EXPANSION_BASE = 10_000
ALIAS_EXPANSION_FACTOR = 10


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
    """Parse one YAML document into plain Python values (safe tags only).

    Aliases are shared, as PyYAML shares them, and capped (see ``check_aliases``).
    """
    try:
        with gc_paused():
            loader = SafeLoader(text)
            try:
                node = loader.get_single_node()
                if node is None:
                    return None
                if "*" in text:  # no alias can be written without one
                    check_aliases(node, len(text), path, error)
                return loader.construct_document(node)
            finally:
                loader.dispose()
    except yaml.YAMLError as exc:
        raise yaml_error(exc, path, error) from exc
    except (ValueError, RecursionError):
        # A number too long to read, or nesting too deep: the slower, line-tracking
        # reader finds the place and says which.
        load_yaml_with_lines(text, path, error)
        raise


def load_yaml_with_lines(
    text: str, path: Path, error: type[InputError]
) -> tuple[Any, dict[YamlPath, int]]:
    """Parse a small YAML document and record the line of every key and list item.

    Also refuses duplicate keys, which YAML would otherwise resolve silently to the last.
    Merge keys (``<<``) are read as PyYAML reads them: the mapping's own keys override
    merged ones, and of several merged mappings the first wins. Each node is built once,
    so an aliased value is shared (as PyYAML shares it) and its lines are those of the
    first place it appears.
    """
    try:
        loader = SafeLoader(text)
        try:
            node = loader.get_single_node()
            lines: dict[YamlPath, int] = {}
            value = None
            if node is not None:
                check_aliases(node, len(text), path, error)
                value = _Builder(loader, lines, path, error).build(node, ())
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        raise yaml_error(exc, path, error) from exc
    except RecursionError:
        raise error(
            "the YAML is nested too deeply to read",
            path=path,
            fix="flatten the structure",
        ) from None
    return value, lines


def check_aliases(node: yaml.Node, size: int, path: Path, error: type[InputError]) -> None:
    """Refuse a document whose aliases would expand it far past its written size.

    Each alias is counted as the whole value it stands for, as any code that walks the
    loaded values sees it, but each node is measured once, so a "billion laughs" document
    of a few hundred bytes is refused in microseconds. A node takes at least a character
    to write, so the cap lets every written value be referred to ten times over. A
    recursive alias (a value that contains itself) is refused too: nothing could walk it.
    """
    limit = ALIAS_EXPANSION_BASE + ALIAS_EXPANSION_FACTOR * size
    sizes: dict[int, int] = {}
    in_progress: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(node, False)]
    while stack:
        current, finished = stack.pop()
        key = id(current)
        children = _children(current)
        if finished:
            in_progress.discard(key)
            total = 1 + sum(sizes[id(child)] for child in children)
            if total > limit:
                raise error(
                    f"the YAML's aliases expand to more than {limit:,} values",
                    path=path,
                    line=current.start_mark.line + 1,
                    fix="write the values out, or use fewer aliases (&name / *name)",
                )
            sizes[key] = total
            continue
        if key in sizes:
            continue
        if key in in_progress:
            raise error(
                "a YAML alias refers to a value that contains it",
                path=path,
                line=current.start_mark.line + 1,
                fix="remove the recursive alias",
            )
        in_progress.add(key)
        stack.append((current, True))
        stack.extend((child, False) for child in children if id(child) not in sizes)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


class _Builder:
    """Builds plain values from a composed document, each node once, recording lines."""

    def __init__(
        self,
        loader: yaml.SafeLoader,
        lines: dict[YamlPath, int],
        path: Path,
        error: type[InputError],
    ) -> None:
        self.loader = loader
        self.lines = lines
        self.path = path
        self.error = error
        self.built: dict[int, Any] = {}  # id(node) -> its value

    def build(self, node: yaml.Node, where: YamlPath) -> Any:
        """The value of ``node``, found at ``where``; an alias gets the first one's value."""
        self.lines.setdefault(where, node.start_mark.line + 1)
        key = id(node)
        if key in self.built:
            return self.built[key]
        if isinstance(node, yaml.MappingNode):
            value: Any = self._mapping(node, where)
        elif isinstance(node, yaml.SequenceNode):
            self._check_tag(node)
            value = self.built[key] = []
            value.extend(self.build(item, (*where, i)) for i, item in enumerate(node.value))
        else:
            value = self.built[key] = self._scalar(node, where)
        return value

    def _mapping(self, node: yaml.MappingNode, where: YamlPath) -> dict[Any, Any]:
        self._check_tag(node)
        mapping: dict[Any, Any] = {}
        self.built[id(node)] = mapping
        own: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == MERGE_TAG:
                continue
            key = self._key(key_node)
            if key in own:
                raise self.error(
                    f"duplicate key {key!r}",
                    path=self.path,
                    line=key_node.start_mark.line + 1,
                    fix="keep one of the two entries",
                )
            own.add(key)
        # Merged pairs first, then the mapping's own: a later pair wins, as in PyYAML.
        self.loader.flatten_mapping(node)
        for key_node, value_node in node.value:
            key = self._key(key_node)
            inner = (*where, str(key))
            self.lines[inner] = key_node.start_mark.line + 1
            mapping[key] = self.build(value_node, inner)
        return mapping

    def _key(self, node: yaml.Node) -> Any:
        if isinstance(node, yaml.ScalarNode):
            key = self._scalar(node, None)
            if key is None or isinstance(key, str | int | float | bool):
                return key
        raise self.error(
            "a mapping key must be a plain value", path=self.path, line=node.start_mark.line + 1
        )

    def _scalar(self, node: yaml.Node, where: YamlPath | None) -> Any:
        if where is not None and isinstance(node, yaml.ScalarNode) and node.style in ("|", ">"):
            # A block scalar's text starts on the line after its indicator.
            self.lines[(*where, BLOCK_TEXT)] = node.start_mark.line + 2
        try:
            return self.loader.construct_object(node)
        except ValueError as exc:
            what = f"cannot read the value: {exc}"
            if node.tag == INT_TAG:  # Python reads whole numbers of up to 4,300 digits
                what = f"a number of more than {sys.get_int_max_str_digits():,} digits"
            raise self.error(
                what,
                path=self.path,
                line=node.start_mark.line + 1,
                fix="quote it to keep it as text",
            ) from None

    def _check_tag(self, node: yaml.Node) -> None:
        if node.tag not in PLAIN_COLLECTION_TAGS:
            raise self.error(
                f"YAML tag not allowed: {node.tag}",
                path=self.path,
                line=node.start_mark.line + 1,
                fix="only plain YAML values are accepted (no !!python or custom tags)",
            )


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
