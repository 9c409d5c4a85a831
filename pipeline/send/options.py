"""The options of a send, bundled by concern: where it goes, how it sends, which run it is.

The CLI builds these from its flags and hands them to ``send_message`` whole, so a new
option is one field here and one flag there, not a keyword threaded through every call.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipeline.api import APIS, USERS_API
from pipeline.errors import InputError
from pipeline.send.client import DEFAULT_CONCURRENCY, DEFAULT_MAX_ATTEMPTS
from pipeline.send.retry import DEFAULT_DELIVERY_ATTEMPTS, Backoff
from pipeline.shard import Shard


@dataclass(frozen=True, slots=True)
class Target:
    """Where the requests go: AWS (Region, profile), another endpoint URL, or a sandbox.

    Attributes:
        region: The AWS Region (else the standard chain decides).
        profile: The AWS profile.
        endpoint_url: Send to this URL instead of AWS.
        sandbox: Start an embedded sandbox for the run and send to it.
        sandbox_endpoints: The embedded sandbox's endpoints file.
    """

    region: str | None = None
    profile: str | None = None
    endpoint_url: str | None = None
    sandbox: bool = False
    sandbox_endpoints: Path | None = None

    def __post_init__(self) -> None:
        if self.sandbox and self.endpoint_url is not None:
            raise InputError("choose one of --sandbox and --endpoint-url")


@dataclass(frozen=True, slots=True)
class SendOptions:
    """How requests are sent.

    Attributes:
        concurrency: Requests in flight at once.
        max_rps: At most this many HTTP requests per second.
        max_attempts: HTTP attempts per call (botocore's retries of answered errors).
        delivery_attempts: Deliveries tried per endpoint (per-endpoint retries).
        backoff: The backoff between per-endpoint retries (None: the default).
        resend_lost_answers: Send again a call that may have been processed but got no
            answer (at least once: a gap is worse than a duplicate, e.g. one-time codes).
            Off by default: its users are unknown, and nobody is sent to twice unasked.
        api: ``send-users-messages`` (to user ids, through their endpoints) or
            ``send-messages`` (to the addresses the audience lists).
        workers: Processes that render the audience into the journal, and then make
            the calls (default: the usable cores); this process alone keeps the journal.
    """

    concurrency: int = DEFAULT_CONCURRENCY
    max_rps: float | None = None
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    delivery_attempts: int = DEFAULT_DELIVERY_ATTEMPTS
    backoff: Backoff | None = None
    resend_lost_answers: bool = False
    api: str = USERS_API
    workers: int | None = None

    def __post_init__(self) -> None:
        if self.api not in APIS:
            raise InputError(f"unknown API {self.api!r}", fix=f"use one of {', '.join(APIS)}")


@dataclass(frozen=True, slots=True)
class RunChoice:
    """Which run to send: a new one, or the unfinished one resumed, and how to settle it.

    Attributes:
        force: Start a run even if an earlier run sent the same content.
        resume: Continue the latest unfinished run of this message, audience and app.
        resend_unknown: With ``resume``: send again the requests whose fate is unknown.
        accept_unknown: With ``resume``: settle those requests as unknown, unsent.
        shard: Send only this shard of the audience, as its own run (in its own journal);
            a shard sent again resumes its unfinished run, as an array job's retry needs.
    """

    force: bool = False
    resume: bool = False
    resend_unknown: bool = False
    accept_unknown: bool = False
    shard: Shard | None = None

    def __post_init__(self) -> None:
        if (self.resend_unknown or self.accept_unknown) and not self.resume:
            raise InputError("--resend-unknown and --accept-unknown only apply with --resume")
        if self.resend_unknown and self.accept_unknown:
            raise InputError("choose one of --resend-unknown and --accept-unknown")
