"""--debug's wire log: botocore's requests and answers, with every secret redacted."""

from __future__ import annotations

import io
import logging

from pipeline.send.wirelog import REDACTED, redact_secrets, wire_log, wire_log_enabled

KEY_ID = "AKIAIOSFODNN7EXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
TOKEN = "FQoGZXIvYXdzEXAMPLETOKEN+/=="
SIGNATURE = "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"

# What botocore.auth and botocore.endpoint log for one signed call (abridged).
LINES = [
    (
        "botocore.auth",
        f"CanonicalRequest:\nPOST\n/v1/apps/a/users-messages\n\nx-amz-security-token:{TOKEN}\n",
    ),
    ("botocore.auth", f"Signature:\n{SIGNATURE}"),
    (
        "botocore.endpoint",
        "Sending http request: <AWSPreparedRequest headers={'Authorization': b'AWS4-HMAC-SHA256 "
        f"Credential={KEY_ID}/20260101/us-east-1/mobiletargeting/aws4_request, "
        f"SignedHeaders=host;x-amz-date, Signature={SIGNATURE}', "
        f"'X-Amz-Security-Token': b'{TOKEN}'}}>",
    ),
    ("botocore.credentials", f"loaded aws_secret_access_key={SECRET} and {KEY_ID}"),
]


def test_signatures_tokens_and_keys_never_reach_the_log():
    stream = io.StringIO()
    with wire_log(stream):
        assert wire_log_enabled()
        for name, text in LINES:
            logging.getLogger(name).debug(text)
    log = stream.getvalue()
    for secret in (KEY_ID, SECRET, TOKEN, SIGNATURE):
        assert secret not in log
    assert log.count(REDACTED) >= 7
    assert "/v1/apps/a/users-messages" in log  # what was sent stays readable
    assert "/20260101/us-east-1/mobiletargeting/aws4_request" in log


def test_known_secrets_are_redacted_wherever_they_appear():
    stream = io.StringIO()
    redact_secrets("s3cr3t-value", None, "")
    with wire_log(stream):
        logging.getLogger("botocore.parsers").debug("Response body: %s", b"echo s3cr3t-value")
    assert "s3cr3t-value" not in stream.getvalue()


def test_the_log_stops_with_the_block_and_leaves_logging_as_it_was():
    before = logging.getLogger("botocore").level
    stream = io.StringIO()
    with wire_log(stream):
        logging.getLogger("botocore.hooks").debug("Event before-send: calling handler")
    logging.getLogger("botocore.endpoint").debug("after the block")
    assert stream.getvalue() == ""  # botocore's event chatter is left out, and so is later
    assert not wire_log_enabled()
    assert logging.getLogger("botocore").level == before
