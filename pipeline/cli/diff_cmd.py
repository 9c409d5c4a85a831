"""``pipeline diff``: what a change does to every recipient, against a git ref."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from pipeline.cli.options import (
    LocalShardOpt,
    RootOpt,
    VarOpt,
    local_shard,
    parse_now,
    parse_vars,
)
from pipeline.errors import InputError
from pipeline.review.diff import diff_messages, format_json, format_markdown, format_text
from pipeline.review.html.diff_site import write_diff_site

# Commands of this module; pipeline.cli loads it when one of them is invoked.
commands = typer.Typer(pretty_exceptions_show_locals=False, add_completion=False)


class DiffFormat(StrEnum):
    """Output formats of ``pipeline diff``."""

    text = "text"
    markdown = "markdown"
    json = "json"
    html = "html"


FORMATTERS = {
    DiffFormat.text: format_text,
    DiffFormat.markdown: format_markdown,
    DiffFormat.json: format_json,
}


@commands.command("diff")
def diff_command(
    base: Annotated[
        str,
        typer.Option(
            "--base", metavar="REF", help="The git ref to compare with, e.g. origin/main."
        ),
    ],
    messages: Annotated[
        list[str] | None,
        typer.Argument(
            help="Messages to compare, folder names under templates/  [default: every "
            "message on either side].",
            show_default=False,
        ),
    ] = None,
    audience: Annotated[
        str | None,
        typer.Option(
            "--audience",
            help="Render every message for this audience  [default: each message's own "
            "'audience:' on each side].",
        ),
    ] = None,
    output_format: Annotated[
        DiffFormat,
        typer.Option(
            "--format",
            help="text, markdown (a pull-request comment), json, or html (before and after "
            "on device mock-ups, written to -o DIR).",
        ),
    ] = DiffFormat.text,
    output: Annotated[
        Path | None,
        typer.Option(
            "-o",
            metavar="DIR",
            help="With --format html, the folder to write the page to (replaced whole).",
        ),
    ] = None,
    root: RootOpt = Path(),
    var: VarOpt = None,
    now: Annotated[
        str | None,
        typer.Option(
            "--now",
            metavar="TIME",
            help="The clock of both sides, in ISO 8601  [default: the base commit's date].",
        ),
    ] = None,
    max_groups: Annotated[
        int, typer.Option("--max-groups", min=0, help="Change groups shown per channel.")
    ] = 20,
    exit_code: Annotated[
        bool,
        typer.Option("--exit-code", help="Exit with 1 when something changed (like git diff)."),
    ] = False,
    shard: LocalShardOpt = None,
) -> None:
    """Show which recipients' messages change since a git ref.

    Renders each message at --base and in the working tree, and shows per channel what
    every user will see differently, grouping users whose change is the same. With
    --shard, both sides compare only the users of that shard.
    """
    html = output_format is DiffFormat.html
    if html != (output is not None):
        raise InputError(
            "-o writes an HTML site: it goes with --format html, which needs it",
            fix="write --format html -o DIR",
        )
    report = diff_messages(
        messages or (),
        base=base,
        root=root,
        audience=audience,
        variables=parse_vars(var),
        now=parse_now(now) if now is not None else None,
        max_groups=max_groups,
        shard=local_shard(shard),
    )
    if output is not None:
        write_diff_site(report, output)
        typer.echo(f"Wrote {output / 'index.html'}", err=True)
    else:
        sys.stdout.write(FORMATTERS[output_format](report))
        sys.stdout.flush()
    failed = report.head_errors
    if failed:
        raise InputError(
            f"{len(failed)} message(s) do not render in the working tree: "
            + ", ".join(m.name for m in failed),
            fix="see the report above; pipeline lint shows every problem",
        )
    if exit_code and report.changed:
        raise typer.Exit(1)
