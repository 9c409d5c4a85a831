"""What every command shares: plain help that reads at 80 columns, and --output refused.

Applied by the root group to each command as it is loaded, so a command added later gets
the same help without repeating settings. Typer's rich help draws a table whose type
column (``<str>``, ``<list[str]>``) and wrapped cells crowd an 80-column terminal, and it
reads ``[default: ...]`` in a help text as markup and drops it; click's plain layout,
with a metavar that says what a value is (``--region REGION``, ``--var KEY=VALUE``),
does not.
"""

from __future__ import annotations

from typing import Any

from typer._click import types as click_types
from typer.core import TyperArgument
from typer.models import TyperPath

from pipeline.errors import InputError


class PlainArgument(TyperArgument):
    """An argument shown as its metavar alone, in help and usage (``MESSAGE``)."""

    def display_type_rich(self, ctx: Any) -> str | None:  # noqa: ARG002 (typer calls it so)
        """No type after the name: the help text says what the argument is."""
        return None

    def make_metavar(self, ctx: Any, *, usage: bool = False) -> str:  # noqa: ARG002
        """``MESSAGE``, where typer's usage line writes a required argument ``{MESSAGE}``.

        A repeatable argument reads ``MESSAGES...`` in the usage line, ``MESSAGES`` in its
        help row.
        """
        return (self.metavar or "") + ("..." if usage and self.nargs != 1 else "")


def tidy_command(command: Any) -> None:
    """Give ``command`` (and, for a group, its subcommands) plain help and named values."""
    command.rich_markup_mode = None
    for param in command.params:
        if isinstance(param, TyperArgument):
            if param.metavar is None:
                param.metavar = (param.name or "value").upper()
            param.__class__ = PlainArgument
        elif param.metavar is None and not getattr(param, "is_flag", False):
            param.metavar = _metavar(param)
    for sub in getattr(command, "commands", {}).values():
        tidy_command(sub)


def _metavar(param: Any) -> str:
    """A value's name from its type: N, PATH, text|json, else the option's own name."""
    kind = param.type  # click's type of one value, also for a list option
    choices = getattr(kind, "choices", None)  # typer's choice type: an Enum's values
    if choices is not None:
        return "|".join(str(getattr(c, "value", c)) for c in choices)
    if isinstance(kind, click_types.IntParamType | click_types.FloatParamType):
        return "N"
    if isinstance(kind, TyperPath):
        return "PATH"
    return (param.name or "value").upper()


def refuse_output_option(name: str, command: Any, args: list[str]) -> None:
    """Refuse ``--output``: AWS CLI users mean a format by it, and ``-o`` writes a file.

    Raises:
        InputError: ``args`` use ``--output`` and the command has no such option.
    """
    for arg in args:
        if arg == "--":
            return
        if arg == "--output" or arg.startswith("--output="):
            break
    else:
        return
    options = set(_option_names(command))
    if "--output" in options:
        return
    hints = []
    if "-o" in options:
        hints.append("-o PATH writes to a file")
    if "--format" in options:
        hints.append("--format picks a format")
    raise InputError(
        f"pipeline {name} has no --output option",
        fix=" and ".join(hints) if hints else f"see pipeline {name} --help",
    )


def _option_names(command: Any) -> list[str]:
    names = [opt for param in command.params for opt in getattr(param, "opts", ())]
    for sub in getattr(command, "commands", {}).values():
        names.extend(_option_names(sub))
    return names
