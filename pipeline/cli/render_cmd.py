"""``pipeline render``: the dry run, requests as JSON Lines, offline."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from pipeline.cli.options import (
    Api,
    ApiOpt,
    AppIdOpt,
    AudienceArg,
    MessageArg,
    NowOpt,
    RootOpt,
    ShardOpt,
    ShardsOpt,
    VarOpt,
    WorkersOpt,
    parse_now,
    parse_vars,
    read_shard,
)
from pipeline.render.output import write_requests
from pipeline.render.parallel import render_lines

# Commands of this module; pipeline.cli loads it when one of them is invoked.
commands = typer.Typer(pretty_exceptions_show_locals=False, add_completion=False)


@commands.command("render")
def render_command(
    message: MessageArg,
    audience: AudienceArg,
    app_id: AppIdOpt,
    output: Annotated[
        Path | None,
        typer.Option(
            "-o", metavar="FILE", help="Write to this file (atomically) instead of stdout."
        ),
    ] = None,
    root: RootOpt = Path(),
    var: VarOpt = None,
    now: NowOpt = None,
    api: ApiOpt = Api.send_users_messages,
    workers: WorkersOpt = None,
    shard: ShardOpt = None,
    shards: ShardsOpt = None,
) -> None:
    """Render MESSAGE for every user of AUDIENCE into API requests.

    One request per line, each the exact input of
    `aws pinpoint send-users-messages --cli-input-json` (with --api send-messages,
    of `aws pinpoint send-messages --cli-input-json`). No network, no credentials.
    """
    requests = render_lines(
        message,
        audience,
        app_id=app_id,
        root=root,
        variables=parse_vars(var),
        now=parse_now(now),
        api=api.value,
        workers=workers,
        shard=read_shard(shard, shards),
    )
    summary = write_requests(requests, output)
    if output is not None:
        recipients = (
            f"{summary.addresses} addresses of {summary.users} users"
            if api is Api.send_messages
            else f"{summary.users} users"
        )
        print(f"Wrote {summary.requests} requests for {recipients} to {output}", file=sys.stderr)
    if summary.unaddressed:
        print(
            f"Note: {summary.unaddressed} users have no addresses and are in no request; "
            "`pipeline send --api send-messages` reports them as PERMANENT_FAILURE",
            file=sys.stderr,
        )
