"""How a delivery is drawn: where a notification's text is cut, and the SMS parts."""

import pytest

from pipeline.pinpoint.delivery import deliver
from pipeline.review.html.views import view_delivered


def view(channel, block, config=None):
    blocks = {"SMS": "SMSMessage", "APNS": "APNSMessage", "GCM": "GCMMessage"}
    request = {"MessageConfiguration": {blocks[channel]: block}, "Users": {"u": config or {}}}
    return view_delivered(deliver(request, "u", channel))


@pytest.mark.parametrize(
    ("channel", "body", "shown"),
    [
        ("APNS", "short", "short"),
        ("APNS", "line one\nline two\nline three\nline four\nline five", "line one\nline two\nline three\nline four"),
        ("APNS", "word " * 40, ("word " * 32)),  # four lines of eight words (40 characters)
        ("GCM", "word " * 20, "word " * 8),  # a collapsed Android notification: one line
        ("GCM", "x" * 100, "x" * 42),  # a word longer than a line is broken
    ],
)
def test_the_text_is_cut_after_the_lines_the_os_shows(channel, body, shown):
    cut = view(channel, {"Title": "t", "Body": body}).body_cut
    assert cut.shown == shown
    assert cut.shown + cut.rest == body


def test_sms_parts_keep_the_text_and_mark_what_forced_ucs2():
    body = "Zoë, " + "a" * 80
    sms_view = view("SMS", {"Body": body})
    assert sms_view.title_cut is None and sms_view.body_cut is None
    assert "".join(piece.text for part in sms_view.sms_parts for piece in part) == body
    assert len(sms_view.sms_parts) == sms_view.sms.parts == 2
    assert [piece.text for part in sms_view.sms_parts for piece in part if piece.ucs2] == ["ë"]


def test_raw_content_is_shown_as_sent():
    raw_view = view("GCM", {"Title": "t", "Body": "b"}, {"RawContent": '{"data": {}}'})
    assert (raw_view.raw, raw_view.title, raw_view.body) == ('{"data": {}}', None, None)
