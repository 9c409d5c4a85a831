"""``pipeline sandbox``: run the local Pinpoint-compatible endpoint until Ctrl-C."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer

from pipeline.errors import InputError
from pipeline.sandbox import DEFAULT_PORT, Faults, Sandbox

# Commands of this module; pipeline.cli loads it when one of them is invoked.
commands = typer.Typer(pretty_exceptions_show_locals=False, add_completion=False)

DEFAULT_STORE = Path(".pipeline/sandbox.sqlite")


@commands.command("sandbox")
def sandbox_command(
    port: Annotated[
        int,
        typer.Option(
            "--port", min=0, max=65535, help="The port on 127.0.0.1, or 0 for any free one."
        ),
    ] = DEFAULT_PORT,
    endpoints: Annotated[
        Path | None,
        typer.Option(
            "--endpoints",
            metavar="FILE",
            help="A YAML file of users and their endpoints, as in the README  [default: one "
            "synthetic endpoint per user and channel of each request].",
        ),
    ] = None,
    store: Annotated[
        Path,
        typer.Option(
            "--store",
            metavar="FILE",
            help="The SQLite file that records every delivery in its table 'deliveries'.",
        ),
    ] = DEFAULT_STORE,
    in_memory: Annotated[
        bool, typer.Option("--in-memory", help="Record deliveries in memory only, not in --store.")
    ] = False,
    throttle_share: Annotated[
        float,
        typer.Option(min=0.0, max=1.0, help="Share of requests answered 429 TooManyRequests."),
    ] = 0.0,
    error_share: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Share of requests answered 500.")
    ] = 0.0,
    drop_share: Annotated[
        float,
        typer.Option(
            min=0.0, max=1.0, help="Share of requests whose connection is closed unanswered."
        ),
    ] = 0.0,
    latency_ms: Annotated[
        float, typer.Option(min=0.0, help="Milliseconds added before every answer.")
    ] = 0.0,
    endpoint_throttle_share: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Share of endpoints answered THROTTLED.")
    ] = 0.0,
    endpoint_temporary_failure_share: Annotated[
        float,
        typer.Option(min=0.0, max=1.0, help="Share of endpoints answered TEMPORARY_FAILURE."),
    ] = 0.0,
    opt_out_share: Annotated[
        float,
        typer.Option(min=0.0, max=1.0, help="Share of endpoints opted out (stable per endpoint)."),
    ] = 0.0,
    lost_answer_share: Annotated[
        float,
        typer.Option(
            min=0.0, max=1.0, help="Share of requests delivered, then closed without an answer."
        ),
    ] = 0.0,
    partition_after: Annotated[
        int | None,
        typer.Option(
            min=0,
            help="After this many requests, lose --partition-lost answers, then refuse "
            "every connection (a network partition).",
        ),
    ] = None,
    partition_lost: Annotated[
        int, typer.Option(min=1, help="Answers lost when the partition starts.")
    ] = 1,
    seed: Annotated[int, typer.Option(help="Seed of the fault decisions.")] = 0,
) -> None:
    """Run a local Pinpoint endpoint until Ctrl-C.

    It accepts any credentials, records every delivery, and injects the faults asked for.
    """
    try:
        faults = Faults(
            throttle_share=throttle_share,
            error_share=error_share,
            drop_share=drop_share,
            latency=latency_ms / 1000,
            endpoint_throttle_share=endpoint_throttle_share,
            endpoint_temporary_failure_share=endpoint_temporary_failure_share,
            seed=seed,
            opt_out_share=opt_out_share,
            lost_answer_share=lost_answer_share,
            partition_after=partition_after,
            partition_lost=partition_lost,
        )
    except ValueError as exc:
        raise InputError(str(exc).replace("_", "-"), fix="lower the fault shares") from exc
    sandbox = Sandbox(faults, endpoints=endpoints, store=None if in_memory else store, port=port)
    sandbox.start()
    url = sandbox.url
    typer.echo(
        f"Pinpoint sandbox on {url}: use --endpoint-url {url} (pipeline send, aws pinpoint) "
        f'or boto3 client("pinpoint", endpoint_url="{url}"), any credentials; Ctrl-C stops it.'
    )
    try:
        _wait_for_interrupt()
    finally:
        sandbox.stop()
    where = "in memory" if in_memory else f"in {store}"
    typer.echo(
        f"Stopped: {sandbox.requests_received} requests, "
        f"{len(sandbox.deliveries())} deliveries recorded {where}."
    )


def _wait_for_interrupt() -> None:
    """Block until Ctrl-C (SIGINT) or SIGTERM.

    Both handlers are installed explicitly: a process started in the background by a
    shell inherits SIGINT ignored, and Python then never raises KeyboardInterrupt.
    """

    def interrupt(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    on_main_thread = threading.current_thread() is threading.main_thread()
    stops = (signal.SIGINT, signal.SIGTERM) if on_main_thread else ()
    previous = {number: signal.signal(number, interrupt) for number in stops}
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
