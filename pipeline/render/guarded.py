"""The Jinja sandbox with the render limits: every hook of ``limits`` wired in.

Jinja's ``SandboxedEnvironment`` lets a subclass intercept operators (``call_binop``),
calls (``call``), ``str.format`` and the globals; the rest (``{% for %}`` and ``~``) is
routed through filters that templates cannot name, in the code Jinja generates.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from jinja2 import nodes
from jinja2.sandbox import SandboxedEnvironment
from jinja2.utils import generate_lorem_ipsum
from jinja2.visitor import NodeTransformer

from pipeline.render.amplifiers import check_call, checked_filter
from pipeline.render.limits import Guard, RenderLimits

# Internal filters the compiled templates call; the space keeps templates from naming them.
CONCAT_FILTER = "pipeline concat"
LOOP_FILTER = "pipeline loop"


class _GuardedFilters(dict[str, Callable[..., Any]]):
    """An environment's filters: each one checked by the guard, whenever it is added."""

    def __init__(self, guard: Guard, filters: Mapping[str, Callable[..., Any]]) -> None:
        super().__init__()
        self.guard = guard
        self.update(filters)

    def __setitem__(self, name: str, function: Callable[..., Any]) -> None:
        if name not in (CONCAT_FILTER, LOOP_FILTER):
            function = checked_filter(self.guard, name, function)
        super().__setitem__(name, function)

    def update(self, *others: Any, **more: Any) -> None:
        """Add filters, each checked."""
        for name, function in dict(*others, **more).items():
            self[name] = function


class _GuardTree(NodeTransformer):
    """Routes the template constructs that Jinja does not let a sandbox intercept.

    ``{% for %}`` iterates through ``Guard.loop`` (a clock check per item), and ``a ~ b``
    joins through ``Guard``'s size check, both as filters that templates cannot name.
    """

    def visit_For(self, node: nodes.For) -> nodes.Node:  # noqa: N802 - Jinja's visitor names
        self.generic_visit(node)
        node.iter = nodes.Filter(node.iter, LOOP_FILTER, [], [], None, None, lineno=node.lineno)
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:  # noqa: N802
        self.generic_visit(node)
        items = nodes.List(node.nodes, lineno=node.lineno)
        return nodes.Filter(items, CONCAT_FILTER, [], [], None, None, lineno=node.lineno)


class LimitedEnvironment(SandboxedEnvironment):
    """Jinja's sandbox with the render limits of ``RenderLimits`` (see the module docstring)."""

    intercepted_binops = frozenset({"+", "*", "**", "%"})

    def __init__(self, *args: Any, limits: RenderLimits | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        guard = self.guard = Guard(limits or RenderLimits.from_environment())
        self.filters = _GuardedFilters(guard, self.filters)
        dict.__setitem__(self.filters, CONCAT_FILTER, self._join)
        dict.__setitem__(self.filters, LOOP_FILTER, guard.loop)
        self.globals["lipsum"] = self._lipsum
        self.concat = guard.concat  # type: ignore[method-assign]

    def _join(self, values: list[Any]) -> str:
        parts = [str(value) for value in values]
        self.guard.items(sum(map(len, parts)), "a text")
        return "".join(parts)

    def _lipsum(self, n: int = 5, html: bool = True, min: int = 20, max: int = 100) -> str:  # noqa: A002 - Jinja's names
        words = n * max if type(n) is int and type(max) is int else 0
        self.guard.items(words * 12, "a text")  # a word and its space: 12 characters at most
        return generate_lorem_ipsum(n=n, html=html, min=min, max=max)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        """Apply an intercepted operator, refusing a result over the limits."""
        del context
        return self.guard.binop(operator, left, right)

    def call(self, context: Any, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        """Call from a template: a clock check, the arguments checked, the result sized."""
        guard = self.guard
        guard.tick()
        check_call(guard, obj, args, kwargs)
        return guard.sized(super().call(context, obj, *args, **kwargs))

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        """``str.format`` and ``format_map``, refusing widths and results over the limits."""
        wrapped = super().wrap_str_format(value)
        if wrapped is None:
            return None
        template: str = value.__self__
        guard = self.guard

        def checked(*args: Any, **kwargs: Any) -> str:
            mapping = args[0] if value.__name__ == "format_map" and args else kwargs
            guard.format(template, args, mapping if isinstance(mapping, Mapping) else {})
            result: str = guard.sized(wrapped(*args, **kwargs))
            return result

        return checked

    def get_template(self, *args: Any, **kwargs: Any) -> Any:
        """Load a template; an include in a render is a step of it (a clock check)."""
        self.guard.tick()
        return super().get_template(*args, **kwargs)

    def select_template(self, *args: Any, **kwargs: Any) -> Any:
        """Load the first of several templates; a step of the render, like ``get_template``."""
        self.guard.tick()
        return super().select_template(*args, **kwargs)

    def _generate(self, source: nodes.Template, *args: Any, **kwargs: Any) -> str:
        """Generate a template's code with its loops and ``~`` routed through the guard."""
        tree = _GuardTree().visit(source)
        tree.set_environment(self)
        code: str = super()._generate(tree, *args, **kwargs)
        return code
