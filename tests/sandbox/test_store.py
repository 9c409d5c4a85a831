"""The record of deliveries: a store file keeps every run, each run reads its own."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from pipeline.errors import InputError
from pipeline.sandbox import Sandbox
from tests.sandbox.support import APP, MakeClient, send, write


def test_store_file_keeps_every_run_and_deliveries_are_per_run(
    tmp_path: Path, make_client: MakeClient
) -> None:
    store = tmp_path / "record" / "sandbox.sqlite"
    user_config = {"TitleOverride": "T", "Substitutions": {"Name": ["Ana"]}}
    with Sandbox(store=store) as first:
        send(make_client(first.url), {"ana": user_config}, {"APNSMessage": {"Body": "Hi {{Name}}"}})
    with Sandbox(store=store) as second:
        send(make_client(second.url), {"bob": {}})
    assert [d.user_id for d in first.deliveries()] == ["ana"]  # readable after stop
    assert [d.user_id for d in second.deliveries()] == ["bob"]

    connection = sqlite3.connect(store)
    try:
        rows = connection.execute(
            "SELECT application_id, user_id, channel, title, body, user_config"
            " FROM deliveries ORDER BY seq"
        ).fetchall()
    finally:
        connection.close()
    assert rows == [
        (APP, "ana", "APNS", "T", "Hi Ana", json.dumps(user_config, separators=(",", ":"))),
        (APP, "bob", "SMS", None, "Hello {{Name}}", "{}"),
    ]


def test_a_file_that_is_not_a_store_is_an_input_error(tmp_path: Path) -> None:
    store = write(tmp_path / "not.sqlite", "hello, I am text" * 100)
    with pytest.raises(InputError, match="not a sandbox store"):
        Sandbox(store=store).start()
