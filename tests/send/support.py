"""Shared inputs of the send tests: requests, projects, endpoints files, dummy credentials."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pipeline.api import ApiRequest
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
