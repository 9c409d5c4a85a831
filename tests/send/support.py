"""Shared inputs of the send tests: requests, projects, endpoints files, dummy credentials,
run specs, sandbox clients, and a scripted client for answers no sandbox gives."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import botocore.exceptions
import pytest

from pipeline.api import ApiRequest
from pipeline.render.address_batch import AddressedRequest
from pipeline.sandbox import Sandbox
from pipeline.send.client import SANDBOX_CREDENTIALS, create_client
from pipeline.send.dispatch import send_requests
from pipeline.send.journal import Journal, RunSpec
from pipeline.send.retry import Backoff
from tests.helpers import SIMPLE_MESSAGE, build_tree

APP = "app-0123456789"
SMS_ONLY = {"SMSMessage": {"Body": "Hello {{Name}}", "MessageType": "TRANSACTIONAL"}}


def user_ids(count: int, prefix: str = "u") -> list[str]:
    return [f"{prefix}-{n:04d}" for n in range(count)]


def make_requests(users: list[str], per_request: int = 10, app: str = APP) -> list[ApiRequest]:
    """Requests as the renderer would build them: SMS with one substitution per user."""
    requests: list[ApiRequest] = []
    for start in range(0, len(users), per_request):
        chunk = users[start : start + per_request]
        requests.append(
            {
                "ApplicationId": app,
                "SendUsersMessageRequest": {
                    "MessageConfiguration": json.loads(json.dumps(SMS_ONLY)),
                    "Users": {user: {"Substitutions": {"Name": [user]}} for user in chunk},
                },
            }
        )
    return requests


def make_addressed(
    users: list[str], per_request: int = 10, app: str = APP, per_user: int = 1
) -> list[AddressedRequest]:
    """SendMessages requests as the renderer builds them: ``per_user`` SMS numbers each."""
    requests = []
    for start in range(0, len(users), per_request):
        owners = {
            address_of(user, k): user
            for user in users[start : start + per_request]
            for k in range(per_user)
        }
        addresses = {
            address: {"ChannelType": "SMS", "Substitutions": {"Name": [user]}}
            for address, user in owners.items()
        }
        body = {"MessageConfiguration": json.loads(json.dumps(SMS_ONLY)), "Addresses": addresses}
        requests.append(AddressedRequest({"ApplicationId": app, "MessageRequest": body}, owners))
    return requests


def address_of(user: str, k: int = 0) -> str:
    """A phone number per user and index: the same on every call."""
    return f"+1555{int(user.rsplit('-', 1)[-1]):05d}{k}"


def addressed_project(root: Path, users: list[str], per_user: int = 1, **extra: str) -> Path:
    """Like ``project``, every user with ``per_user`` SMS numbers (``address_of``)."""
    lines = "".join(
        json.dumps(
            {
                "id": user,
                "first_name": user,
                "addresses": {"SMS": [address_of(user, k) for k in range(per_user)]},
            }
        )
        + "\n"
        for user in users
    )
    return build_tree(
        root,
        {"templates/hello/message.yaml": SIMPLE_MESSAGE, "audiences/people.jsonl": lines, **extra},
    )


def project(root: Path, users: list[str], **extra: str) -> Path:
    """A project with message ``hello`` and audience ``people`` (JSON Lines) of ``users``."""
    lines = "".join(json.dumps({"id": user, "first_name": user}) + "\n" for user in users)
    return build_tree(
        root,
        {"templates/hello/message.yaml": SIMPLE_MESSAGE, "audiences/people.jsonl": lines, **extra},
    )


def endpoints_file(path: Path, users: dict[str, list[dict[str, Any]]], **options: str) -> Path:
    """An endpoints file for the sandbox (JSON is YAML)."""
    path.write_text(json.dumps({**options, "users": users}), encoding="utf-8")
    return path


def sms_endpoints(users: list[str], per_user: int) -> dict[str, list[dict[str, Any]]]:
    """``per_user`` SMS endpoints with distinct numbers for every user."""
    endpoints: dict[str, list[dict[str, Any]]] = {}
    for n, user in enumerate(users):
        endpoints[user] = [
            {"id": f"{user}-sms{k}", "channel": "SMS", "address": f"+1555{n:04d}{k:03d}"}
            for k in range(per_user)
        ]
    return endpoints


DUMMY_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}

NO_AWS_ENV = {
    "AWS_CONFIG_FILE": "/nonexistent/aws-config",
    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/aws-credentials",
    "AWS_EC2_METADATA_DISABLED": "true",
}

CLEARED = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
    "AWS_REGION",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_PINPOINT",
    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
)


def isolate_aws(monkeypatch: pytest.MonkeyPatch, *, credentials: bool) -> None:
    """No AWS config or credentials from this machine; dummy keys if ``credentials``."""
    for name in CLEARED:
        monkeypatch.delenv(name, raising=False)
    for name, value in NO_AWS_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    if credentials:
        for name, value in DUMMY_AWS_ENV.items():
            monkeypatch.setenv(name, value)


# Runs: one sent to a test target, one recorded as a send to AWS.
SEND_SPEC = RunSpec(
    message="hello", audience="people", application_id=APP, target="t", region=None, root="/"
)

AWS_SPEC = RunSpec(
    message="hello",
    audience="audiences/people.jsonl",
    application_id="app-1",
    target="https://pinpoint.us-east-1.amazonaws.com",
    region="us-east-1",
    root="/project",
)

FAST = Backoff(base=0.01, cap=0.05)


def client_for(clients: list[Any], sandbox: Sandbox, **options: Any) -> Any:
    client = create_client(
        endpoint_url=sandbox.url,
        region="us-east-1",
        credentials=SANDBOX_CREDENTIALS,
        **options,
    )
    clients.append(client)
    return client


def send_all(journal: Journal, requests: list[Any], client: Any, **options: Any) -> int:
    run = journal.create_run(SEND_SPEC, requests)
    options.setdefault("backoff", FAST)
    send_requests(journal, run.id, client=client, **options)
    return run.id


# A scripted client, for AWS errors and answers that no sandbox gives.
class ScriptedClient:
    """Answers each call with the next scripted reply: a response dict or an exception."""

    def __init__(self, *replies: Any) -> None:
        self.replies = list(replies)
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.lock = threading.Lock()

    def _next(self, operation: str, kwargs: dict[str, Any]) -> Any:
        with self.lock:
            self.calls.append((operation, kwargs))
            reply = self.replies.pop(0)
        if isinstance(reply, Exception):
            raise reply
        return reply(kwargs) if callable(reply) else reply

    def send_users_messages(self, **kwargs: Any) -> Any:
        return self._next("SendUsersMessages", kwargs)

    def send_messages(self, **kwargs: Any) -> Any:
        return self._next("SendMessages", kwargs)


def client_error(status: int, code: str, message: str) -> botocore.exceptions.ClientError:
    return botocore.exceptions.ClientError(
        {
            "Error": {"Code": code, "Message": message},
            "ResponseMetadata": {"HTTPStatusCode": status},
        },
        "SendUsersMessages",
    )


def addresses_successful(kwargs: dict[str, Any]) -> dict[str, Any]:
    addresses = kwargs["MessageRequest"]["Addresses"]
    result = {address: {"DeliveryStatus": "SUCCESSFUL", "StatusCode": 200} for address in addresses}
    return {"MessageResponse": {"Result": result}}


def all_successful(kwargs: dict[str, Any]) -> dict[str, Any]:
    users = kwargs["SendUsersMessageRequest"]["Users"]
    result = {
        user: {f"{user}-1": {"DeliveryStatus": "SUCCESSFUL", "StatusCode": 200}} for user in users
    }
    return {"SendUsersMessageResponse": {"Result": result}}
