"""Validating a request's recipients once per form instead of once per recipient.

Botocore's validator walks every recipient of a request: 100 users, each with its body,
title and substitutions, were about half of a render worker's CPU. But for most of the
model its verdict on a value depends only on that value's *form*: which keys its objects
have, and the type of every value in it. It does not depend on the text of a string or the
value of a number, except through a few constraints: a minimum (``min``: a length, a count
or a value), a host label, a JSON-value header, a document, a timestamp or a blob. When the
shape of a recipient has none of them anywhere (``checks_types_only``), two recipients of
the same form get the same verdict. Recipients sit in a map (``Users``, ``Addresses``),
whose entries botocore checks one by one, with nothing across entries; so a request is
valid exactly when the same request with one recipient of each form (``one_per_form``) is.

Only a request already shown valid skips the walk: one with an error is validated again
whole, so its report is botocore's own, every recipient included.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Iterator, Mapping
from typing import Any, Final

from botocore.model import ListShape, MapShape, Shape, StructureShape
from botocore.utils import is_json_value_header

# Shapes whose check reads a value, not just its type.
_VALUE_CHECKED_TYPES: Final = frozenset({"timestamp", "blob"})
_VALUE_CHECKED_METADATA: Final = frozenset({"min", "document"})
# The plain types a rendered request is made of; anything else is not given a form.
_PLAIN_TYPES: Final = (str, int, float, bool, type(None))


class _Unformed(Exception):
    """A value with something other than plain JSON data in it."""


def checks_types_only(shape: Shape) -> bool:
    """Whether botocore's verdict on a value of ``shape`` depends only on the value's form."""
    return not any(map(_reads_value, shapes_under(shape)))


def _reads_value(shape: Shape) -> bool:
    if shape.type_name in _VALUE_CHECKED_TYPES or _VALUE_CHECKED_METADATA & set(shape.metadata):
        return True
    return bool(shape.serialization.get("hostLabel")) or is_json_value_header(shape)


def shapes_under(shape: Shape, ancestors: frozenset[str] = frozenset()) -> Iterator[Shape]:
    """``shape`` and every shape a value of it can hold, each member with its own traits.

    A recursive shape is not entered again inside itself.
    """
    yield shape
    if shape.name in ancestors:
        return
    inside = ancestors | {shape.name}
    children: Iterable[Shape] = ()
    if isinstance(shape, StructureShape):
        children = shape.members.values()
    elif isinstance(shape, ListShape):
        children = (shape.member,)
    elif isinstance(shape, MapShape):
        children = (shape.key, shape.value)
    for child in children:
        yield from shapes_under(child, inside)


def one_per_form(recipients: Mapping[Any, Any]) -> dict[Any, Any] | None:
    """The first recipient of each form, in order; None when some recipient has no form."""
    kept: dict[Hashable, tuple[Any, Any]] = {}
    try:
        for key, value in recipients.items():
            form = (type(key), _form(value))
            if form not in kept:
                kept[form] = (key, value)
    except _Unformed:
        return None
    return dict(kept.values())


def _form(value: Any) -> Hashable:
    """What botocore's verdict on ``value`` can depend on: its keys and every value's type."""
    kind = type(value)
    if kind is str:  # most values: tested first
        return str
    if kind is dict:
        return (dict, *((_key(key), _form(item)) for key, item in value.items()))
    if kind is list:
        return (list, *map(_form, value))
    if kind in _PLAIN_TYPES:
        return kind  # type: ignore[return-value]  # a type is hashable
    raise _Unformed


def _key(key: Any) -> str:
    if type(key) is not str:  # a key botocore would report: validated whole instead
        raise _Unformed
    return key
