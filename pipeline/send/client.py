"""Pinpoint through boto3: the client, its credentials, one call, and what its errors mean.

This is the one module that imports boto3. No Pinpoint send operation takes an idempotency
token, so a call that may have been processed must never be sent again unasked. The client
therefore retries, with botocore's ``standard`` retry mode and an attempt bound high enough
that a quarter of HTTP attempts failing loses nothing (10 attempts: a call fails only when
all ten do, about one in a million), only what proves nothing was delivered:

- answered errors: throttling (429) and server errors (5xx) with a response;
- failures before a byte left the machine: no connection, connect timeout, proxy refused.

A call whose request was written and whose answer never came back (read timeout, reset or
closed connection, an unreadable answer) may have been processed: it is not retried
(``resend_lost_answers`` turns that off for teams that prefer a duplicate to a gap), and
every attempt of the call is remembered, so the call is judged by its whole history, not
by its last error.

Outside AWS: the Region comes from ``--region``, ``AWS_REGION`` (which botocore itself does
not read), ``AWS_DEFAULT_REGION`` or the profile, as with the AWS CLI; the endpoint from
``--endpoint-url``, ``AWS_ENDPOINT_URL_PINPOINT`` or ``AWS_ENDPOINT_URL`` (botocore reads
these); and an endpoint on this machine (a ``pipeline sandbox``) needs no credentials:
without any, the client signs with dummy ones, which the sandbox accepts and AWS never sees.

The client does not validate parameters again: every rendered request was validated with
botocore's own validator before it was journaled, and the journal sends exactly those
bytes; the retries built from them keep their shape. That saves botocore's most expensive
step on the sending path (a malformed request would still be refused by the service, 400).
"""

from __future__ import annotations

import ipaddress
import os
import threading
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Protocol
from urllib.parse import urlsplit

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    CredentialRetrievalError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    ParamValidationError,
    PartialCredentialsError,
    ProfileNotFound,
    ProxyConnectionError,
    TokenRetrievalError,
)

from pipeline import fastjson
from pipeline.errors import CredentialsError, InputError
from pipeline.send import wire
from pipeline.send.journal import Claimed
from pipeline.send.ratelimit import RateLimiter
from pipeline.send.urls import without_userinfo
from pipeline.send.wirelog import redact_secrets, wire_log_enabled

DEFAULT_CONCURRENCY: Final = 64
DEFAULT_MAX_ATTEMPTS: Final = 10
RETRY_MODES: Final = ("standard", "adaptive")
# What boto3 signs requests to a sandbox (an endpoint on this machine) with when there are
# no credentials: the sandbox checks nothing, but botocore will not send an unsigned request.
SANDBOX_CREDENTIALS: Final = {"aws_access_key_id": "sandbox", "aws_secret_access_key": "sandbox"}
SANDBOX_REGION: Final = "us-east-1"

# Failures that prove the request never left the machine: no connection was made.
NOTHING_SENT: Final = (EndpointConnectionError, ConnectTimeoutError, ProxyConnectionError)
_CREDENTIAL_ERRORS: Final = (
    NoCredentialsError,
    PartialCredentialsError,
    CredentialRetrievalError,
    TokenRetrievalError,
)
_FIXES: Final = {
    400: "the request was refused as malformed; check the rendered request with `pipeline render`",
    403: "check that the credentials allow mobiletargeting:SendUsersMessages and "
    "mobiletargeting:SendMessages on this application",
    404: "check --app-id and --region: the application must exist in that Region",
    413: "a request exceeds Pinpoint's 7 MB limit; shorten the per-user content",
}


class PinpointClient(Protocol):
    """The two calls the sender makes; a boto3 ``pinpoint`` client has both."""

    def send_users_messages(self, *, ApplicationId: str, SendUsersMessageRequest: Any) -> Any:  # noqa: N803
        """SendUsersMessages."""

    def send_messages(self, *, ApplicationId: str, MessageRequest: Any) -> Any:  # noqa: N803
        """SendMessages."""


def create_client(
    *,
    region: str | None = None,
    profile: str | None = None,
    endpoint_url: str | None = None,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    retry_mode: str = "standard",
    concurrency: int = DEFAULT_CONCURRENCY,
    max_rps: float | None = None,
    credentials: Mapping[str, str] | None = None,
    resend_lost_answers: bool = False,
) -> PinpointClient:
    """A boto3 ``pinpoint`` client; credentials come from the standard chain.

    Args:
        region: The AWS Region (else ``AWS_REGION``, ``AWS_DEFAULT_REGION``, the profile's).
        profile: A profile of the AWS config files.
        endpoint_url: Talk to this URL instead of AWS (else botocore's choice:
            ``AWS_ENDPOINT_URL_PINPOINT``, ``AWS_ENDPOINT_URL``, the Region's endpoint).
        max_attempts: HTTP attempts per call, the first one included.
        retry_mode: botocore's ``standard`` or ``adaptive`` retry mode.
        concurrency: Calls made at once; the connection pool holds as many.
        max_rps: At most this many HTTP requests per second, retries included.
        credentials: Explicit keys (``aws_access_key_id``, ``aws_secret_access_key``), as
            for a sandbox; never logged.
        resend_lost_answers: Let botocore retry calls that may have been processed too
            (at least once instead of at most once).

    Raises:
        CredentialsError: No credentials (for an endpoint not on this machine), or an
            unknown profile.
        InputError: No Region, or a bad retry setting.
    """
    if retry_mode not in RETRY_MODES:
        raise InputError(f"unknown retry mode {retry_mode!r}", fix="use standard or adaptive")
    if max_attempts < 1:
        raise InputError(f"--max-attempts must be at least 1, not {max_attempts}")
    try:
        keys = credentials or {}
        session = boto3.session.Session(
            aws_access_key_id=keys.get("aws_access_key_id"),
            aws_secret_access_key=keys.get("aws_secret_access_key"),
            profile_name=profile,
            # The AWS CLI and most SDKs read AWS_REGION before AWS_DEFAULT_REGION; botocore
            # reads only the latter.
            region_name=region or os.environ.get("AWS_REGION") or None,
        )
        found = session.get_credentials()
    except ProfileNotFound as exc:
        raise CredentialsError(
            f"no AWS profile {profile!r}", fix="check --profile against ~/.aws/config"
        ) from exc
    except (*_CREDENTIAL_ERRORS, BotoCoreError) as exc:
        raise CredentialsError(f"cannot load AWS credentials: {exc}") from exc
    config = Config(
        retries={
            "mode": "adaptive" if retry_mode == "adaptive" else "standard",
            "total_max_attempts": max_attempts,
        },
        max_pool_connections=max(10, concurrency),
        connect_timeout=10,
        read_timeout=60,
        parameter_validation=False,  # validated once, when rendered (see the module docstring)
    )
    client: Any = _client(session, endpoint_url, config)
    if found is None:
        if not is_loopback(client.meta.endpoint_url):
            raise CredentialsError(
                "no AWS credentials found; nothing was sent",
                fix="set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, run `aws sso "
                "login`, or try it locally with --sandbox",
            )
        client = _client(session, endpoint_url, config, keys=SANDBOX_CREDENTIALS)
    elif wire_log_enabled():
        frozen = found.get_frozen_credentials()
        redact_secrets(frozen.access_key, frozen.secret_key, frozen.token)
    # First among the retry handlers: its False vetoes the standard handler's retry.
    guard: Any = _retry_guard(resend_lost_answers)  # the stubs expect handlers to return None
    client.meta.events.register_first(
        "needs-retry.pinpoint", guard, unique_id="pipeline-at-most-once"
    )
    if max_rps is not None:
        limit_rate(client, max_rps)
    wire.install(client)
    pinpoint: PinpointClient = client
    return pinpoint


def _client(
    session: Any, endpoint_url: str | None, config: Config, *, keys: Mapping[str, str] | None = None
) -> Any:
    """The session's pinpoint client; on a loopback endpoint without a Region, us-east-1."""
    try:
        return session.client("pinpoint", endpoint_url=endpoint_url, config=config, **(keys or {}))
    except NoRegionError as exc:
        configured = endpoint_url or _endpoint_from_environment()
        if is_loopback(configured):  # a sandbox: any Region signs, none is checked
            return session.client(
                "pinpoint",
                endpoint_url=endpoint_url,
                config=config,
                region_name=SANDBOX_REGION,
                **(keys or {}),
            )
        raise InputError(
            "no AWS Region",
            fix="pass --region, set AWS_REGION or AWS_DEFAULT_REGION, or give the profile a "
            "region (aws configure set region REGION)",
        ) from exc
    except ValueError as exc:  # botocore's complaint about a malformed endpoint URL
        shown = without_userinfo(f"{endpoint_url!r}: {exc}")
        raise InputError(f"bad --endpoint-url {shown}") from exc


def _endpoint_from_environment() -> str | None:
    """The endpoint URL botocore takes from the environment, if any."""
    if os.environ.get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "").lower() == "true":
        return None
    return os.environ.get("AWS_ENDPOINT_URL_PINPOINT") or os.environ.get("AWS_ENDPOINT_URL")


def is_loopback(url: str | None) -> bool:
    """Whether ``url`` points at this machine (127.0.0.0/8, ::1, localhost)."""
    if not url:
        return False
    host = urlsplit(url).hostname or ""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def endpoint_of(client: Any) -> str | None:
    """The endpoint URL a client sends to, as botocore resolved it (no trailing slash)."""
    url = getattr(getattr(client, "meta", None), "endpoint_url", None)
    return url.rstrip("/") if isinstance(url, str) and url else None


class _CallHistory(threading.local):
    """What the attempts of the call this thread is making have shown (one call at a time)."""

    def __init__(self) -> None:
        self.maybe_processed = False


_HISTORY = _CallHistory()


def _retry_guard(resend_lost_answers: bool) -> Callable[..., bool | None]:
    """A ``needs-retry`` handler: notes attempts that may have been processed, vetoes them."""

    def needs_retry(*, caught_exception: Exception | None = None, **_: Any) -> bool | None:
        if caught_exception is None or isinstance(caught_exception, NOTHING_SENT):
            return None  # answered, or never sent: botocore's standard rules decide
        _HISTORY.maybe_processed = True
        return None if resend_lost_answers else False

    return needs_retry


def limit_rate(client: Any, max_rps: float) -> RateLimiter:
    """Pace every HTTP request the client makes (retries included) to ``max_rps`` per second."""
    if max_rps <= 0:
        raise InputError(f"--max-rps must be positive, not {max_rps}")
    limiter = RateLimiter(max_rps)

    def wait(**_: Any) -> None:
        limiter.acquire()

    client.meta.events.register("before-send.pinpoint", wait)
    _LIMITERS[client] = limiter
    return limiter


# The limiter pacing each client, for sender processes to take their share of it.
_LIMITERS: weakref.WeakKeyDictionary[Any, RateLimiter] = weakref.WeakKeyDictionary()


def rate_limiter_of(client: Any) -> RateLimiter | None:
    """The limiter ``limit_rate`` put on ``client``; None if it has none."""
    try:
        return _LIMITERS.get(client)
    except TypeError:  # an object that cannot be weakly referenced has none
        return None


def call(client: PinpointClient, request: Claimed) -> tuple[dict[str, Any], Any]:
    """Send one journaled request; returns what was sent (parsed) and the answer.

    The stored text itself is the body (``pipeline.send.wire``). When it raises,
    ``classify`` reads the error together with every attempt of the call.
    """
    _HISTORY.maybe_processed = False
    sent: dict[str, Any] = fastjson.loads(request.body)
    send: Callable[..., Any]
    if request.kind == "users":
        send, member = client.send_users_messages, "SendUsersMessageRequest"
    else:
        send, member = client.send_messages, "MessageRequest"
    with wire.stored_body(client, wire.payload(request.body, sent, member)) as stored:
        if stored:  # the body is the stored text: the parameters only route the call
            return sent, send(**{"ApplicationId": sent["ApplicationId"], member: {}})
        return sent, send(**sent)


@dataclass(frozen=True, slots=True)
class CallFailure:
    """What a failed call means for the run.

    Attributes:
        what: One line saying what happened.
        retry: Whether to send it again later (throttling, 5xx; a lost answer only when
            lost answers are resent).
        maybe_processed: Whether some attempt of the call may have been processed (it was
            written and no complete answer came back); its users are then unknown.
        fix: What the user can do, when it is not simply to try again.
    """

    what: str
    retry: bool
    maybe_processed: bool
    fix: str | None = None


def classify(
    error: Exception, *, resend_lost_answers: bool = False, history: bool | None = None
) -> CallFailure:
    """Read a botocore error, raised after botocore's own retries, for the sender.

    Args:
        error: What the call raised.
        resend_lost_answers: Whether a call that may have been processed is sent again.
        history: Whether an earlier attempt of the call may have been processed; by
            default what this thread's last ``call`` recorded.

    Raises:
        Exception: ``error`` itself when it is not botocore's (a bug, not a failure).
    """
    earlier = _HISTORY.maybe_processed if history is None else history
    if isinstance(error, ClientError):
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        details = error.response.get("Error", {})
        what = f"Pinpoint answered {status} {details.get('Code', '')}: {details.get('Message', '')}"
        server_side = status == 429 or status >= 500
        fix = None if server_side else _FIXES.get(status)
        return _failure(what, server_side, earlier, resend_lost_answers, fix)
    if isinstance(error, _CREDENTIAL_ERRORS):
        what = f"AWS credentials failed: {error}"
        return _failure(what, False, earlier, resend_lost_answers, "renew the credentials")
    if isinstance(error, ParamValidationError):
        return _failure(f"botocore refused the request: {error}", False, earlier, False, None)
    if isinstance(error, NOTHING_SENT):
        # No connection, after botocore's attempts spread over about a minute: the network
        # or the URL is wrong.
        fix = "check the network and --endpoint-url"
        return _failure(f"cannot reach Pinpoint: {error}", False, earlier, False, fix)
    if isinstance(error, BotoCoreError):
        # Sent, but no complete answer came back (timeout, reset, closed, unreadable).
        what = f"no answer from Pinpoint: {error}"
        return _failure(what, resend_lost_answers, True, resend_lost_answers, None)
    raise error


def _failure(
    what: str, retry: bool, maybe_processed: bool, resend: bool, fix: str | None
) -> CallFailure:
    """A failure; a call that may have been processed is retried only if lost answers are."""
    if maybe_processed and not resend:
        retry = False
    # botocore's texts repeat the endpoint URL; this one is printed and journaled.
    return CallFailure(without_userinfo(what), retry, maybe_processed, fix)


def request_id(response: Mapping[str, Any]) -> str | None:
    """The id AWS gave the call, for support cases."""
    metadata: Mapping[str, Any] = response.get("ResponseMetadata", {})
    value = metadata.get("RequestId")
    return str(value) if value else None
