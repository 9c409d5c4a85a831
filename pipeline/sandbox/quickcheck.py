"""A quick pass over a request, compiled from botocore's model, before botocore's validator.

botocore's ``ParamValidator`` walks the model for every value, collecting errors, and was
half of the sandbox's CPU per 100-user request. This check is that walk compiled once per
operation into nested functions, with botocore's own rules and type tables: a value that
passes is one the validator would report nothing about. It only ever says "valid" or
"not sure": a value that fails it, or a shape it does not know (JSON-value headers,
documents, unions, blobs, timestamps), goes to botocore's validator, which decides and
words the error. So the sandbox accepts and refuses exactly what it did.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from botocore.model import ListShape, MapShape, Shape, StructureShape
from botocore.utils import is_json_value_header
from botocore.validate import ParamValidator

Check = Callable[[Any], bool]

_SCALARS = ParamValidator.SCALAR_TYPES
_CONTAINERS = ParamValidator.CONTAINER_TYPES


def _not_sure(_: Any) -> bool:
    return False


@cache
def compiled(shape: Shape) -> Check:
    """The quick check of values of ``shape`` (True: botocore's validator finds nothing)."""
    return _Compiler().check(shape)


class _Compiler:
    """Compiles shapes into checks; a shape met again (a recursive model) is reused."""

    def __init__(self) -> None:
        self._done: dict[int, Check] = {}

    def check(self, shape: Shape) -> Check:
        known = self._done.get(id(shape))
        if known is not None:
            return known
        slot: list[Check] = []
        self._done[id(shape)] = lambda value: slot[0](value)  # until compiled: recursion
        compiled_check = self._compile(shape)
        slot.append(compiled_check)
        self._done[id(shape)] = compiled_check
        return compiled_check

    def _compile(self, shape: Shape) -> Check:
        kind = shape.type_name
        if is_json_value_header(shape) or getattr(shape, "is_document_type", False):
            return _not_sure
        if kind == "structure":
            assert isinstance(shape, StructureShape)
            return self._structure(shape)
        if kind == "list":
            assert isinstance(shape, ListShape)
            return self._list(shape)
        if kind == "map":
            assert isinstance(shape, MapShape)
            return self._map(shape)
        if kind in _SCALARS:
            return _scalar(shape)
        return _not_sure  # blobs, timestamps: rare here, botocore decides

    def _structure(self, shape: StructureShape) -> Check:
        if shape.is_tagged_union:
            return _not_sure
        types = _CONTAINERS["structure"]
        required = tuple(shape.metadata.get("required", ()))
        members = {name: self.check(member) for name, member in shape.members.items()}

        def check(value: Any) -> bool:
            if not isinstance(value, types):
                return False
            for name in required:
                if name not in value:
                    return False
            for name, item in value.items():
                member = members.get(name)
                if member is None or not member(item):
                    return False
            return True

        return check

    def _list(self, shape: ListShape) -> Check:
        types, minimum, member = _CONTAINERS["list"], _minimum(shape), self.check(shape.member)

        def check(value: Any) -> bool:
            if not isinstance(value, types) or (minimum is not None and len(value) < minimum):
                return False
            return all(member(item) for item in value)

        return check

    def _map(self, shape: MapShape) -> Check:
        types, key, item = _CONTAINERS["map"], self.check(shape.key), self.check(shape.value)

        def check(value: Any) -> bool:
            if not isinstance(value, types):
                return False
            return all(key(name) and item(entry) for name, entry in value.items())

        return check


def _scalar(shape: Shape) -> Check:
    types, minimum = _SCALARS[shape.type_name], _minimum(shape)
    if shape.type_name == "string":
        if minimum is None:
            return lambda value: isinstance(value, types)
        return lambda value: isinstance(value, types) and len(value) >= minimum
    if minimum is None or shape.type_name == "boolean":
        return lambda value: isinstance(value, types)
    return lambda value: isinstance(value, types) and value >= minimum


def _minimum(shape: Shape) -> Any:
    """Botocore's ``range_check`` bound: the model's ``min``, else 1 for a host label."""
    if "min" in shape.metadata:
        return shape.metadata["min"]
    if shape.serialization.get("hostLabel"):
        return 1
    return None
