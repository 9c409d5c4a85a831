"""The filters and methods that can build a value far larger than their input, and bounds.

Each check estimates, from the arguments alone and cheaply, how large the result can get
(``join``: its items plus a separator between each; ``replace``: every occurrence grown;
``center``: its width...) and refuses it through the ``Guard`` before anything is built.
Every other filter and call only has its result sized, after: it cannot grow a value
more than a few times over.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pipeline.render.limits import Guard


def check_call(
    guard: Guard, function: Any, args: tuple[Any, ...], kwargs: Mapping[str, Any]
) -> None:
    """Refuse a call of a method that would build a value over the limits."""
    receiver = getattr(function, "__self__", None)
    name = getattr(function, "__name__", "")
    if isinstance(receiver, str | bytes):
        check = _METHOD_CHECKS.get(name)
        if check is not None:
            check(guard, receiver, *args, **kwargs)
    elif isinstance(receiver, list | dict) and name in _GROWING:
        # The sandbox lets a template grow its own lists and dicts: x.extend(x) in a loop
        # doubles x each time, past any memory in a few dozen steps.
        added = args[0] if name in ("extend", "update") and args else ()
        guard.items(len(receiver) + (len(added) if hasattr(added, "__len__") else 1), "a value")
    elif type(receiver) is int and name == "to_bytes" and args and type(args[0]) is int:
        guard.items(args[0], "a value")


def checked_filter(guard: Guard, name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    """``function`` (the filter ``name``), checking its arguments and result.

    Filters need no clock check: each does a bounded amount of work on values that are
    themselves within the limits, and what repeats them (loops, calls) checks the clock.
    """
    check = _FILTER_CHECKS.get(name)
    sized = guard.sized
    # A filter that takes Jinja's context or environment first gets it first here too.
    passes = getattr(function, "jinja_pass_arg", None) is not None

    def checked(*args: Any, **kwargs: Any) -> Any:
        if check is not None:
            check(guard, *(args[1:] if passes else args), **kwargs)
        return sized(function(*args, **kwargs))

    checked.__wrapped__ = function  # type: ignore[attr-defined]
    if passes:
        checked.jinja_pass_arg = function.jinja_pass_arg  # type: ignore[attr-defined]
    return checked


def _check_join(guard: Guard, value: Any, d: Any = "", *args: Any, **kwargs: Any) -> None:
    del args, kwargs
    if isinstance(value, list | tuple) and isinstance(d, str | bytes):
        texts = sum(len(item) for item in value if isinstance(item, str | bytes))
        guard.items(texts + len(d) * max(len(value) - 1, 0), "a text")


def _check_replace(guard: Guard, text: Any, old: Any, new: Any, count: Any = None) -> None:
    if not all(isinstance(part, str | bytes) for part in (text, old, new)):
        return
    found = text.count(old) if old else len(text) + 1
    if type(count) is int and count >= 0:
        found = min(found, count)
    guard.items(len(text) + found * max(len(new) - len(old), 0), "a text")


def _check_widths(guard: Guard, value: Any, *args: Any, **kwargs: Any) -> None:
    del value
    for argument in (*args, *kwargs.values()):
        if type(argument) is int:
            guard.items(argument, "a width")
        elif isinstance(argument, str):
            guard.items(len(argument), "a text")


def _check_indent(guard: Guard, text: Any, width: Any = 4, *args: Any, **kwargs: Any) -> None:
    del args, kwargs
    if isinstance(text, str):
        step = width if type(width) is int else len(width) if isinstance(width, str) else 0
        guard.items(len(text) + (text.count("\n") + 1) * step, "a text")


def _check_wordwrap(guard: Guard, text: Any, width: Any = 79, *args: Any, **kwargs: Any) -> None:
    wrap = kwargs.get("wrapstring", args[1] if len(args) > 1 else None)
    if isinstance(text, str) and isinstance(wrap, str) and type(width) is int:
        # A line holds at least half a line's width unless a word ends it: a bound.
        breaks = 2 * len(text) // max(width, 1) + text.count(" ") + 1
        guard.items(len(text) + len(wrap) * breaks, "a text")


def _check_urlize(guard: Guard, text: Any, *args: Any, **kwargs: Any) -> None:
    if isinstance(text, str):
        extra = sum(len(v) for v in (*args, *kwargs.values()) if isinstance(v, str))
        guard.items(len(text) * 2 + (text.count(".") + 1) * (extra + 64), "a text")


def _check_format(guard: Guard, value: Any, *args: Any, **kwargs: Any) -> None:
    if isinstance(value, str):
        guard.printf(value, args or tuple(kwargs.values()))


def _check_translate(guard: Guard, text: Any, table: Any, *args: Any) -> None:
    del args
    if isinstance(table, Mapping) and isinstance(text, str):
        longest = max((len(v) for v in table.values() if isinstance(v, str)), default=1)
        guard.items(len(text) * longest, "a text")


def _check_expand(guard: Guard, text: Any, tabsize: Any = 8, *args: Any, **kwargs: Any) -> None:
    del args, kwargs
    if isinstance(text, str) and type(tabsize) is int:
        guard.items(len(text) + text.count("\t") * tabsize, "a text")


def _check_join_method(guard: Guard, separator: Any, items: Any = (), *args: Any) -> None:
    del args
    if isinstance(items, list | tuple):
        _check_join(guard, items, separator)


Check = Callable[..., None]
_GROWING = frozenset({"append", "insert", "extend", "update", "setdefault"})
_FILTER_CHECKS: dict[str, Check] = {
    "join": _check_join,
    "replace": _check_replace,
    "center": _check_widths,
    "batch": _check_widths,
    "slice": _check_widths,
    "tojson": _check_widths,
    "number": _check_widths,
    "indent": _check_indent,
    "wordwrap": _check_wordwrap,
    "urlize": _check_urlize,
    "format": _check_format,
}
_METHOD_CHECKS: dict[str, Check] = {
    "join": _check_join_method,
    "replace": _check_replace,
    "center": _check_widths,
    "ljust": _check_widths,
    "rjust": _check_widths,
    "zfill": _check_widths,
    "expandtabs": _check_expand,
    "translate": _check_translate,
}
