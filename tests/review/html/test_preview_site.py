"""The preview site: which recipients it shows, what it says, and that it is self-contained."""

import re
from datetime import UTC, datetime

import pytest

from pipeline.errors import InputError, TemplateError
from pipeline.review.html.preview_site import build_preview_site
from tests.helpers import build_tree

NOW = datetime(2026, 1, 1, tzinfo=UTC)

MESSAGE = """
    audience: people
    MessageConfiguration:
      SMSMessage:
        Body: "{{ sub('Name') }}, your order has shipped."
      APNSMessage:
        Title: "Shipped"
        Body: "{{ sub('Name') }}, tap to follow your order."
      EmailMessage:
        SimpleEmail:
          Subject: {Data: "Your order, {{ sub('Name') }}"}
          HtmlPart: {Data: "<p>Hello <b>{{ sub('Name') }}</b> & welcome</p>"}
          TextPart: {Data: "Hello {{ sub('Name') }}"}
    PerUser:
      Substitutions:
        Name: "{{ user.first_name }}"
"""
PEOPLE = """
    defaults: {locale: en-US}
    users:
      - {id: u-1, first_name: Ana}
      - {id: u-2, first_name: "<script>alert(1)</script>", locale: fr-FR}
      - {id: u-3, first_name: Bob}
      - {id: u-4, first_name: Chloé, locale: fr-FR}
"""


def project(tmp_path, message=MESSAGE, audience=PEOPLE, **extra):
    return build_tree(
        tmp_path,
        {"templates/m/message.yaml": message, "audiences/people.yaml": audience, **extra},
    )


def recipients(page):
    return re.findall(r'data-user="([^"]+)"', page)


def test_the_first_user_of_each_locale_and_the_users_asked_for(tmp_path):
    root = project(tmp_path)
    site = build_preview_site(["m"], root=root, now=NOW)
    assert set(site) == {"index.html", "messages/m.html"}
    assert recipients(site["messages/m.html"]) == ["u-1", "u-2"]
    site = build_preview_site(["m"], root=root, now=NOW, users=["u-3"])
    assert recipients(site["messages/m.html"]) == ["u-1", "u-2", "u-3"]
    assert "Asked for" in site["messages/m.html"]


def test_every_channel_of_a_recipient_is_drawn(tmp_path):
    page = build_preview_site(["m"], root=project(tmp_path), now=NOW)["messages/m.html"]
    assert re.findall(r'data-channel="(\w+)"', page) == ["SMS", "APNS", "EMAIL"] * 2
    assert "iPhone lock screen" in page
    assert "SMS thread" in page


def test_recipients_data_is_escaped_and_the_email_html_is_sandboxed(tmp_path):
    page = build_preview_site(["m"], root=project(tmp_path), now=NOW)["messages/m.html"]
    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    [srcdoc] = re.findall(r"<iframe sandbox srcdoc=\"([^\"]*)\"", page)[:1]
    assert srcdoc == "&lt;p&gt;Hello &lt;b&gt;Ana&lt;/b&gt; &amp; welcome&lt;/p&gt;"


def test_a_static_site_loads_nothing_and_runs_no_script(tmp_path):
    site = build_preview_site(root=project(tmp_path), now=NOW)
    for page in site.values():
        assert "<script" not in page
        assert not re.search(r"(src|href)=\"(https?:)?//", page)
        assert "default-src 'none'" in page
        assert "<style>" in page


def test_the_same_inputs_give_the_same_bytes(tmp_path):
    root = project(tmp_path)
    assert build_preview_site(root=root, now=NOW) == build_preview_site(root=root, now=NOW)


def test_ucs2_characters_and_sms_parts_are_marked(tmp_path):
    message = """
        audience: people
        MessageConfiguration:
          SMSMessage: {Body: "{{ sub('Name') }}, it’s here. {{ 'x' * 80 }}"}
        PerUser:
          Substitutions: {Name: "{{ user.first_name }}"}
    """
    page = build_preview_site(["m"], root=project(tmp_path, message), now=NOW)["messages/m.html"]
    assert '<mark class="ucs2" title="U+2019 forces UCS-2">’</mark>' in page
    assert 'data-part="2"' in page
    assert "2 parts" in page


def test_where_a_notification_is_cut_is_marked(tmp_path):
    message = """
        audience: people
        MessageConfiguration:
          GCMMessage: {Title: Shipped, Body: "{{ 'word ' * 30 }}end", Action: OPEN_APP}
    """
    page = build_preview_site(["m"], root=project(tmp_path, message), now=NOW)["messages/m.html"]
    assert '<span class="beyond">' in page
    assert "approximate" in page


def test_a_failing_message_raises_or_shows_its_error_with_file_and_line(tmp_path):
    root = project(tmp_path, MESSAGE.replace("user.first_name", "user.nickname"))
    with pytest.raises(TemplateError, match=r"message\.yaml:\d+: undefined value"):
        build_preview_site(["m"], root=root, now=NOW)
    site = build_preview_site(["m"], root=root, now=NOW, keep_going=True)
    for page in site.values():
        assert re.search(r'role="alert"', page)
        assert re.search(r"templates/m/message\.yaml:\d+", page)


def test_a_message_without_an_audience_needs_one(tmp_path):
    root = project(tmp_path, MESSAGE.replace("    audience: people\n", ""))
    with pytest.raises(InputError, match="names no audience"):
        build_preview_site(["m"], root=root, now=NOW)
    site = build_preview_site(["m"], root=root, now=NOW, audience="people")
    assert recipients(site["messages/m.html"]) == ["u-1", "u-2"]


def test_no_messages_is_an_error(tmp_path):
    with pytest.raises(InputError, match="no messages"):
        build_preview_site(root=tmp_path, now=NOW)


def test_live_pages_carry_their_build_and_the_script_allowed_by_its_hash(tmp_path):
    site = build_preview_site(root=project(tmp_path), now=NOW, live_version=7)
    page = site["index.html"]
    assert 'data-live-version="7"' in page
    assert re.search(r"script-src 'sha256-[A-Za-z0-9+/=]+'", page)
    assert page.count("<script>") == 1
