"""The record of deliveries: a store file keeps every run, each run reads its own."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from pipeline.errors import InputError
from pipeline.sandbox import Delivery, Faults, Sandbox
from pipeline.sandbox.store import open_store
from tests.sandbox.support import APP, MakeClient, raw_request, send, write


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


# A lone surrogate reaches the payload through a JSON escape or raw surrogate bytes (Python's
# JSON reader lets them through); UTF-8 cannot encode it, so the store refuses the delivery.
@pytest.mark.parametrize("in_file", [False, True], ids=["memory", "file"])
@pytest.mark.parametrize(
    "body_override", [b'"x\\ud800"', b'"x\\uDFFF"', b'"x\xed\xa0\x80"'], ids=["low", "high", "raw"]
)
def test_text_that_utf8_cannot_encode_is_refused_and_nothing_is_recorded(
    tmp_path: Path, in_file: bool, body_override: bytes
) -> None:
    users = b'{"ana":{},"bob":{"BodyOverride":' + body_override + b"}}"
    body = b'{"MessageConfiguration":{"SMSMessage":{"Body":"Hi"}},"Users":' + users + b"}"
    with Sandbox(store=tmp_path / "s.sqlite" if in_file else None) as sandbox:
        status, _, answer = raw_request(sandbox.url, "POST", f"/v1/apps/{APP}/users-messages", body)
        assert status == 500
        assert "Sandbox failure" in answer["Message"]
        assert sandbox.deliveries() == []
        assert sandbox.delivery_counts() == {}


@pytest.mark.parametrize("in_file", [False, True], ids=["memory", "file"])
def test_text_with_hangul_and_surrogate_pairs_is_recorded(tmp_path: Path, in_file: bool) -> None:
    # U+D55C (a Hangul syllable) is 0xED 0x95 0x9C in UTF-8; \ud83d\ude00 is one emoji.
    body = (
        b'{"MessageConfiguration":{"SMSMessage":{"Body":"Hi"}},'
        b'"Users":{"ana":{"BodyOverride":"\xed\x95\x9c \\ud55c \\ud83d\\ude00"}}}'
    )
    with Sandbox(store=tmp_path / "s.sqlite" if in_file else None) as sandbox:
        status, _, _ = raw_request(sandbox.url, "POST", f"/v1/apps/{APP}/users-messages", body)
        assert status == 200
        [delivery] = sandbox.deliveries()
    assert delivery.body == "\ud55c \ud55c \U0001f600"


def test_a_lone_surrogate_where_nothing_is_delivered_is_answered(make_client: MakeClient) -> None:
    body = (
        b'{"MessageConfiguration":{"SMSMessage":{"Body":"Hi"}},'
        b'"Users":{"ana":{"BodyOverride":"x\\ud800"}}}'
    )
    with Sandbox(Faults(endpoint_throttle_share=1.0)) as sandbox:
        status, _, answer = raw_request(sandbox.url, "POST", f"/v1/apps/{APP}/users-messages", body)
        assert status == 200
        [result] = answer["Result"]["ana"].values()
        assert result["DeliveryStatus"] == "THROTTLED"
        assert sandbox.deliveries() == []


@pytest.mark.parametrize("in_file", [False, True], ids=["memory", "file"])
def test_both_stores_read_back_what_they_recorded(tmp_path: Path, in_file: bool) -> None:
    rows = [
        ("r1", APP, "ana", "sms-1-ana", "SMS", "+15550000001", "m1", None, "Hi", {"A": 1}),
        ("r1", APP, "ana", "apns-1-ana", "APNS", "tok", "m2", "T", "Hi", {"A": 1}),
        ("r2", APP, "bob", "sms-2-bob", "SMS", "+15550000002", "m3", None, None, {}),
        ("r3", APP, "ana", "sms-1-ana", "SMS", "+15550000001", "m4", None, "Again", {"A": 1}),
    ]
    store = open_store(tmp_path / "s.sqlite" if in_file else None)
    try:
        store.record(rows[:2])
        store.record([])
        store.record(rows[2:])
        assert store.deliveries() == [
            Delivery(r[2], r[3], r[4], r[5], r[6], r[0], r[8], r[7], r[1]) for r in rows
        ]
        assert store.delivery_counts() == {
            ("ana", "sms-1-ana"): 2,
            ("ana", "apns-1-ana"): 1,
            ("bob", "sms-2-bob"): 1,
        }
    finally:
        store.close()
