"""Fixtures shared across the suite: a running sandbox, and boto3 clients for it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3  # noqa: TID251 - the tests drive the sandbox with the real client
import pytest
from botocore.config import Config

from pipeline.sandbox import Sandbox
from tests.sandbox.support import Client, MakeClient


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox() as running:
        yield running


@pytest.fixture
def make_client() -> Iterator[MakeClient]:
    """Build boto3 pinpoint clients for a URL; one attempt only unless told otherwise."""
    clients: list[Client] = []

    def make(url: str, **retries: Any) -> Client:
        session = boto3.session.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
        )
        config = Config(retries=retries or {"total_max_attempts": 1})
        client = session.client("pinpoint", endpoint_url=url, config=config)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture(autouse=True)
def _no_array_job(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests run as no shard of any array job, whatever machine runs them."""
    from pipeline.shard import ENGINES

    for index, count in ENGINES:
        monkeypatch.delenv(index, raising=False)
        if count is not None:
            monkeypatch.delenv(count, raising=False)
