"""Stored text: compressed, and read back exactly as it was written."""

from __future__ import annotations

import json
import zlib

from pipeline.send.journal.packing import pack, pack_results, unpack, unpack_results


def test_text_comes_back_byte_for_byte():
    text = json.dumps({"Users": {"u-1": {"BodyOverride": "Zoë ✓ " * 50}}}, ensure_ascii=False)
    stored = pack(text)
    assert isinstance(stored, bytes) and len(stored) < len(text.encode()) / 5
    assert unpack(stored) == text
    assert unpack(text) == text  # an older journal's plain text


def test_results_come_back_whole_with_the_message_id_echo_folded():
    rows = [
        ["u-1", "sms-1", "SUCCESSFUL", 200, "abc123", "MessageId: abc123"],
        ["u-1", "push-1", "SUCCESSFUL", 200, "xyz", "Accepted"],
        ["u-2", "", "PERMANENT_FAILURE", 404, None, "No endpoints found for userId."],
        ["u-3", "sms-3", "THROTTLED", 429, "", "MessageId: "],
    ]
    stored = pack_results(rows)
    assert b"MessageId: abc123" not in zlib.decompress(stored)
    assert unpack_results(stored) == rows
    assert unpack_results(json.dumps(rows)) == rows  # an older journal's plain JSON
