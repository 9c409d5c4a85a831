"""``pipeline serve`` in Chromium: the open page follows template edits by itself.

The test never reloads the page: it edits a file and polls the page (bounded) until
the page has reloaded itself with the new text, or the error, or the fixed text.
"""

from datetime import UTC, datetime

from pipeline.review.html.server import preview_server
from tests.browser import console_errors, text_of, wait
from tests.helpers import build_tree

NOW = datetime(2026, 1, 1, tzinfo=UTC)
MESSAGE = """
    audience: people
    MessageConfiguration:
      SMSMessage: {Body: "{% include 'm/body.j2' %}"}
      APNSMessage: {Title: Hello, Body: "{% include 'm/body.j2' %}", Action: OPEN_APP}
    PerUser:
      Substitutions: {Name: "{{ user.first_name }}"}
"""
SMS_BODY = 'section[data-user="u-1"] article[data-channel="SMS"] [data-field="body"]'


def sms_text(browser):
    return text_of(browser, SMS_BODY)


def test_the_page_reloads_itself_after_each_edit(browser, tmp_path):
    root = build_tree(
        tmp_path,
        {
            "templates/m/message.yaml": MESSAGE,
            "templates/m/body.j2": "Hello {{ sub('Name') }}",
            "audiences/people.yaml": "users:\n  - {id: u-1, first_name: Ana}\n",
        },
    )
    body = root / "templates/m/body.j2"
    with preview_server(root=root, now=NOW, port=0) as server:
        browser.get(server.url + "messages/m.html")
        assert sms_text(browser) == "Hello Ana"
        browser.execute_script("window.beforeTheEdit = true")  # gone once the page reloads

        body.write_text("Bonjour {{ sub('Name') }}, ça arrive")
        wait(browser, lambda b: sms_text(b) == "Bonjour Ana, ça arrive", "no reload after an edit")
        assert browser.execute_script("return window.beforeTheEdit === undefined")
        version = "return document.documentElement.dataset.liveVersion"
        assert browser.execute_script(version) == "2"

        body.write_text("Hello {{ user.nickname }}")
        alert = wait(
            browser, lambda b: text_of(b, '[role="alert"]'), "the render error was not shown"
        )
        assert f"{body}:1" in alert
        assert "'user' is not available in MessageConfiguration" in alert

        body.write_text("Hi {{ sub('Name') }}")
        wait(browser, lambda b: sms_text(b) == "Hi Ana", "no reload after the fix")
        assert console_errors(browser) == []
        browser.get("about:blank")  # stop polling before the server goes
