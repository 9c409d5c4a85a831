"""``pipeline preview``: what each user receives on each channel: terminal, JSON or HTML."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, TextIO

import typer
from rich.console import Console
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from pipeline.cli.options import (
    AudienceArg,
    LocalShardOpt,
    MessageArg,
    NowOpt,
    RootOpt,
    VarOpt,
    WorkersOpt,
    local_shard,
    parse_now,
    parse_vars,
)
from pipeline.errors import InputError
from pipeline.pinpoint.delivery import Delivered
from pipeline.review.html.preview_site import write_preview_site
from pipeline.review.preview import UserPreview, preview_json, preview_lines, preview_message

# Commands of this module; pipeline.cli loads it when one of them is invoked.
commands = typer.Typer(pretty_exceptions_show_locals=False, add_completion=False)


class PreviewFormat(StrEnum):
    """Output formats of ``pipeline preview``."""

    text = "text"
    json = "json"
    html = "html"


@commands.command("preview")
def preview_command(
    message: MessageArg,
    audience: AudienceArg,
    user: Annotated[
        list[str] | None,
        typer.Option("--user", help="Preview only this user id (repeatable)."),
    ] = None,
    channel: Annotated[
        list[str] | None,
        typer.Option(
            "--channel",
            help="Preview only this channel: SMS, APNS, GCM (or FCM), ADM, BAIDU, EMAIL, "
            "VOICE (repeatable).",
        ),
    ] = None,
    output_format: Annotated[
        PreviewFormat,
        typer.Option(
            "--format",
            help="text: one block per user and channel. json: a list with one object per "
            "user, its channels under 'channels'. html: a site of device mock-ups of the "
            "first user of each locale (and each --user), written to -o DIR.",
        ),
    ] = PreviewFormat.text,
    output: Annotated[
        Path | None,
        typer.Option(
            "-o",
            "--output",
            help="With --format html: the folder to write the site to (replaced whole).",
        ),
    ] = None,
    root: RootOpt = Path(),
    var: VarOpt = None,
    now: NowOpt = None,
    workers: WorkersOpt = None,
    shard: LocalShardOpt = None,
) -> None:
    """Show what each user of AUDIENCE receives on each channel.

    Pinpoint's rules are applied: the block that serves each channel,
    BodyOverride and TitleOverride, {{Name}} placeholders filled from
    Substitutions, RawContent first. SMS shows its encoding, length and parts
    (and the characters that forced UCS-2); push shows its payload size against
    the service's limit. No network, no credentials.
    """
    if output_format is PreviewFormat.html or output is not None:
        _write_site(output_format, output, message, audience, root, var, now, user, channel)
        return
    part = local_shard(shard)
    if output_format is PreviewFormat.json and not user:
        lines = preview_lines(
            message,
            audience,
            root=root,
            variables=parse_vars(var),
            now=parse_now(now),
            channels=channel or (),
            workers=workers,
            shard=part,
        )
        _write_json(lines, sys.stdout)
        return
    previews = preview_message(
        message,
        audience,
        root=root,
        variables=parse_vars(var),
        now=parse_now(now),
        users=user or (),
        channels=channel or (),
        workers=workers,
        shard=part,
    )
    if output_format is PreviewFormat.json:
        _write_json(map(preview_json, previews), sys.stdout)
    else:
        console = Console(highlight=False)
        for preview in previews:
            for delivered in preview.deliveries:
                console.print(_panel(preview, delivered))


def _write_site(
    output_format: PreviewFormat,
    output: Path | None,
    message: str,
    audience: str,
    root: Path,
    var: list[str] | None,
    now: str | None,
    user: list[str] | None,
    channel: list[str] | None,
) -> None:
    if output_format is not PreviewFormat.html or output is None:
        raise InputError(
            "-o writes an HTML site: it goes with --format html, which needs it",
            fix="write --format html -o DIR",
        )
    write_preview_site(
        output,
        [message],
        audience=audience,
        root=root,
        variables=parse_vars(var),
        now=parse_now(now),
        users=user or (),
        channels=channel or (),
    )
    typer.echo(f"Wrote {output / 'index.html'}", err=True)


def _write_json(lines: Iterable[str], stream: TextIO) -> None:
    """A JSON list written one user per line, so memory stays flat for any audience."""
    separator = "[\n"
    for line in lines:
        stream.write(separator + line)
        separator = ",\n"
    stream.write("[]\n" if separator == "[\n" else "\n]\n")


def _panel(preview: UserPreview, delivered: Delivered) -> Panel:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column()
    if delivered.raw:
        grid.add_row("Raw", Text(delivered.payload or ""))
        grid.add_row("", Text("RawContent replaces everything else", style="dim"))
    else:
        if delivered.title is not None:
            grid.add_row("Title", Text(delivered.title))
        body = Text(delivered.body) if delivered.body is not None else _dim("(no body)")
        grid.add_row("Body", body)
    if delivered.sms is not None:
        sms = delivered.sms
        units = f" ({sms.units:,} units)" if sms.units != sms.characters else ""
        parts = f"{sms.parts} part" + ("" if sms.parts == 1 else "s")
        line = Text(f"{sms.encoding} · {sms.characters:,} characters{units} · {parts}")
        if sms.over_limit:
            line.append(f" · over AWS's {sms.limit:,}-unit limit", style="bold red")
        grid.add_row("SMS", line)
        if sms.ucs2_characters:
            forced = ", ".join(f"{c} U+{ord(c):04X}" for c in sms.ucs2_characters)
            grid.add_row("", Text(f"UCS-2 because of {forced}", style="yellow"))
    if delivered.payload_limit is not None and delivered.payload_bytes is not None:
        size = Text(f"{delivered.payload_bytes:,} / {delivered.payload_limit:,} bytes")
        if delivered.over_payload_limit:
            size.append(" · over the limit", style="bold red")
        grid.add_row("Payload", size)
    if delivered.substitutions:
        values = ", ".join(f"{key}={value}" for key, value in delivered.substitutions.items())
        grid.add_row("Values", Text(values, style="dim"))
    if delivered.unfilled:
        names = ", ".join("{{" + name + "}}" for name in delivered.unfilled)
        grid.add_row("Unfilled", Text(f"{names}: no substitution fills it", style="yellow"))
    title = Text(f"{preview.user_id} · {preview.locale or 'no locale'} · {delivered.channel}")
    return Panel(
        grid,
        title=title,
        title_align="left",
        subtitle=Text(delivered.block),
        subtitle_align="right",
    )


def _dim(text: str) -> Text:
    return Text(text, style="dim")
