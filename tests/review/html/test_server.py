"""The preview server: pages from the latest build, rebuilt when a project file changes."""

import http.client
import time
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest

from pipeline.errors import InputError
from pipeline.review.html.server import preview_server
from tests.helpers import build_tree

NOW = datetime(2026, 1, 1, tzinfo=UTC)
MESSAGE = """
    audience: people
    MessageConfiguration:
      SMSMessage: {Body: "{% include 'm/body.j2' %}"}
    PerUser:
      Substitutions: {Name: "{{ user.first_name }}"}
"""


def project(tmp_path, body="Hello {{ sub('Name') }}"):
    return build_tree(
        tmp_path,
        {
            "templates/m/message.yaml": MESSAGE,
            "templates/m/body.j2": body,
            "audiences/people.yaml": "users:\n  - {id: u-1, first_name: Ana}\n",
        },
    )


def get(server, path):
    address = urlsplit(server.url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type"), response.read().decode()
    finally:
        connection.close()


def wait_for(condition, timeout=20.0):
    """Poll ``condition`` until it holds; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting for the server"
        time.sleep(0.05)


def test_pages_and_the_build_number_are_served_on_loopback(tmp_path):
    with preview_server(root=project(tmp_path), now=NOW, port=0) as server:
        assert urlsplit(server.url).hostname == "127.0.0.1"
        status, kind, page = get(server, "/")
        assert (status, kind) == (200, "text/html; charset=utf-8")
        assert 'href="messages/m.html"' in page
        assert get(server, "/messages/m.html")[2].count('data-user="u-1"') == 1
        assert get(server, "/__version")[1:] == ("text/plain; charset=utf-8", "1")
        status, _, missing = get(server, "/nope.html")
        assert status == 404
        assert 'data-live-version="1"' in missing  # it reloads too, once the page exists


def test_an_edit_rebuilds_and_an_error_shows_with_file_and_line(tmp_path):
    root = project(tmp_path)
    with preview_server(root=root, now=NOW, port=0) as server:
        (root / "templates/m/body.j2").write_text("Bonjour {{ sub('Name') }}")
        wait_for(lambda: server.version == 2)
        page = get(server, "/messages/m.html")[2]
        assert "Bonjour Ana" in page
        assert 'data-live-version="2"' in page

        (root / "templates/m/body.j2").write_text("Hello {{ user.nickname }}")
        wait_for(lambda: server.version == 3)
        page = get(server, "/messages/m.html")[2]
        assert 'role="alert"' in page
        assert 'class="where">' + str(root / "templates/m/body.j2") + ":1<" in page

        (root / "templates/m/body.j2").write_text("Hi {{ sub('Name') }}")
        wait_for(lambda: server.version == 4)
        assert "Hi Ana" in get(server, "/messages/m.html")[2]


def test_a_new_audience_file_is_a_change_too(tmp_path):
    root = project(tmp_path)
    with preview_server(root=root, now=NOW, port=0) as server:
        build_tree(root, {"audiences/people.yaml": "users:\n  - {id: u-7, first_name: Bo}\n"})
        wait_for(lambda: 'data-user="u-7"' in get(server, "/messages/m.html")[2])


def test_a_message_that_does_not_exist_is_refused_before_serving(tmp_path):
    with pytest.raises(InputError, match="no message 'nope'"):
        preview_server(["nope"], root=project(tmp_path), port=0)


def test_a_taken_port_is_an_input_error(tmp_path):
    root = project(tmp_path)
    with preview_server(root=root, now=NOW, port=0) as first:
        taken = urlsplit(first.url).port
        with pytest.raises(InputError, match=f"cannot listen on 127.0.0.1:{taken}"):
            preview_server(root=root, now=NOW, port=taken).start()
