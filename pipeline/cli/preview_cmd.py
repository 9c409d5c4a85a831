"""``pipeline preview``: what each user receives on each channel: terminal, JSON or HTML."""

from __future__ import annotations

import json
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
    Api,
    ApiOpt,
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
from pipeline.pinpoint.sms import SmsAnalysis, SmsTotals, character_name
from pipeline.review.html.preview_site import write_preview_site
from pipeline.review.preview import (
    UserPreview,
    count_sms,
    preview_json,
    preview_lines,
    preview_message,
    sms_of,
)

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
        typer.Option("--user", metavar="ID", help="Preview only this user id (repeatable)."),
    ] = None,
    channel: Annotated[
        list[str] | None,
        typer.Option(
            "--channel",
            metavar="CHANNEL",
            help="Preview only this channel, one of SMS, APNS, GCM (or FCM), ADM, BAIDU, "
            "EMAIL, VOICE (repeatable).",
        ),
    ] = None,
    output_format: Annotated[
        PreviewFormat,
        typer.Option(
            "--format",
            help="text: one block per user and channel, then the SMS parts in all. json: "
            "{users: [one object per user, its channels under 'channels'], sms: totals}. "
            "html: device mock-ups of the first user of each locale and each --user, "
            "written to -o DIR.",
        ),
    ] = PreviewFormat.text,
    output: Annotated[
        Path | None,
        typer.Option(
            "-o",
            metavar="DIR",
            help="With --format html, the folder to write the site to (replaced whole).",
        ),
    ] = None,
    root: RootOpt = Path(),
    var: VarOpt = None,
    now: NowOpt = None,
    api: ApiOpt = Api.send_users_messages,
    workers: WorkersOpt = None,
    shard: LocalShardOpt = None,
) -> None:
    """Show what each user of AUDIENCE receives on each channel.

    Pinpoint's rules are applied: the block that serves each channel,
    BodyOverride and TitleOverride, {{Name}} placeholders filled from
    Substitutions, RawContent first. SMS shows its encoding, length and parts
    (and the characters that forced UCS-2), and the last line the parts of every
    user's SMS, by encoding; push shows its payload size against the service's
    limit. With --api send-messages, each user on the channels their addresses
    reach, with the addresses. No network, no credentials.
    """
    if output_format is PreviewFormat.html or output is not None:
        if api is Api.send_messages:
            raise InputError(
                "--api send-messages previews as text or json",
                fix="drop --api for the HTML site, which shows every channel of the message",
            )
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
            api=api.value,
        )
        _write_json(lines, SmsTotals(), sys.stdout)
        return
    previews = preview_message(
        message,
        audience,
        root=root,
        variables=parse_vars(var),
        now=parse_now(now),
        users=user or (),
        channels=channel or (),
        api=api.value,
        workers=workers,
        shard=part,
    )
    totals = SmsTotals()
    if output_format is PreviewFormat.json:
        _write_json(((preview_json(p), sms_of(p)) for p in previews), totals, sys.stdout)
    else:
        console = Console(highlight=False)
        for preview in previews:
            count_sms(totals, preview)
            if preview.addresses is not None and not preview.addresses:
                console.print(_unaddressed(preview))
            for delivered in preview.deliveries:
                console.print(_panel(preview, delivered))
            if preview.unreached:
                console.print(_unreached(preview))
        if totals.total_users:
            console.print(Text(totals.describe()), soft_wrap=True)


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


def _write_json(
    lines: Iterable[tuple[str, tuple[SmsAnalysis, ...]]], totals: SmsTotals, stream: TextIO
) -> None:
    """``{"users": [...], "sms": {...}}``, one user per line, so memory stays flat."""
    stream.write('{"users":[')
    separator = "\n"
    for line, analyses in lines:
        for analysis in analyses:
            totals.add(analysis)
        stream.write(separator + line)
        separator = ",\n"
    sms = totals.to_json() if totals.total_users else None
    text = json.dumps(sms, ensure_ascii=False, separators=(",", ":"))
    stream.write(("\n" if separator == ",\n" else "") + '],\n"sms":' + text + "}\n")


def _panel(preview: UserPreview, delivered: Delivered) -> Panel:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column()
    if preview.addresses is not None:
        to = ", ".join(
            f"{address} ({channel})" for channel, address in preview.to(delivered.channel)
        )
        grid.add_row("To", Text(to))
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
            forced = ", ".join(character_name(c) for c in sms.ucs2_characters)
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


def _unaddressed(preview: UserPreview) -> Panel:
    note = Text("No addresses: nothing is sent to this user (PERMANENT_FAILURE)", style="yellow")
    return Panel(note, title=_user_title(preview), title_align="left")


def _unreached(preview: UserPreview) -> Panel:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column()
    for channel, address in preview.unreached:
        grid.add_row(
            "Not sent",
            Text(
                f"{address} ({channel}): no block of the message reaches {channel}", style="yellow"
            ),
        )
    return Panel(grid, title=_user_title(preview), title_align="left")


def _user_title(preview: UserPreview) -> Text:
    return Text(f"{preview.user_id} · {preview.locale or 'no locale'}")


def _dim(text: str) -> Text:
    return Text(text, style="dim")
