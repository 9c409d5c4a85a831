"""URLs shown or stored without their user information."""

import pytest

from pipeline.send.urls import without_userinfo


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("http://KEY:SECRET@host:8642", "http://host:8642"),
        ("https://user@[::1]:443/v1/apps?x=1", "https://[::1]:443/v1/apps?x=1"),
        ("http://a:b@c@host/path", "http://host/path"),
        (
            'Could not connect to the endpoint URL: "http://K:S@127.0.0.1:1/v1/apps/x"',
            'Could not connect to the endpoint URL: "http://127.0.0.1:1/v1/apps/x"',
        ),
        ("run 1 to http://h:1 and HTTPS://u:p@h:2", "run 1 to http://h:1 and HTTPS://h:2"),
        ("http://host/user@example.com", "http://host/user@example.com"),  # a path, not userinfo
        ("mail ana@example.com", "mail ana@example.com"),
        ("aws", "aws"),
    ],
)
def test_user_information_is_taken_out_of_every_url(text, shown):
    assert without_userinfo(text) == shown
