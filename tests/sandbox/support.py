"""Shared inputs of the sandbox tests: boto3 calls and raw HTTP against a running sandbox."""

from __future__ import annotations

import http.client
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

APP = "611e3e3cdd47474c9c1399a505665b91"
MESSAGE_ID = re.compile(r"[0-9a-v]{40}")
REQUEST_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
SMS_ONLY = {"SMSMessage": {"Body": "Hello {{Name}}"}}
Client = Any
MakeClient = Callable[..., Client]


def send(client: Client, users: dict[str, Any], configuration: Any = None) -> dict[str, Any]:
    response = client.send_users_messages(
        ApplicationId=APP,
        SendUsersMessageRequest={
            "MessageConfiguration": configuration or SMS_ONLY,
            "Users": users,
        },
    )
    result: dict[str, Any] = response["SendUsersMessageResponse"]
    return result


def raw_request(
    url: str, method: str, path: str, body: bytes = b""
) -> tuple[int, Any, dict[str, Any]]:
    connection = http.client.HTTPConnection(url.removeprefix("http://"), timeout=5)
    try:
        connection.request(method, path, body=body, headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        return response.status, response.headers, json.loads(response.read())
    finally:
        connection.close()


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path
