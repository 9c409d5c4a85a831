"""The preview and diff sites in Chromium: no console errors, the text the JSON gives, readable.

The project is the repository's own messages and sample audience, plus messages for
the mock-ups they do not use (email with HTML, voice, raw content), copied into tmp_path.
"""

import json
import shutil
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from typer.testing import CliRunner

from pipeline.cli import app
from tests.browser import DESKTOP, PHONE, console_errors, emulate, inner_text, screenshot
from tests.helpers import build_tree

runner = CliRunner()

REPOSITORY = Path(__file__).resolve().parents[3]
NOW = "2026-11-26T09:00:00Z"
EXTRA = {
    "templates/welcome_email/message.yaml": """
        audience: beta_testers
        MessageConfiguration:
          EmailMessage:
            FromAddress: shop@example.com
            SimpleEmail:
              Subject: {Data: "Welcome, {{ sub('Name') }}"}
              HtmlPart: {Data: "{% include 'welcome_email/body.html.j2' %}"}
              TextPart: {Data: "Welcome {{ sub('Name') }}, your {{ sub('Plan') }} plan is ready."}
          VoiceMessage: {Body: "Hello {{ sub('Name') }}, this is the Example Shop.", LanguageCode: en-US}
          SMSMessage: {Body: "{{ sub('Name') }}: {{ 'Your points are waiting for you at the shop. ' * 4 }}"}
        PerUser:
          Substitutions:
            Name: "{{ user.first_name }}"
            Plan: "{{ user.plan }}"
    """,
    "templates/welcome_email/body.html.j2": (
        "<!DOCTYPE html><html><body style=\"font-family:sans-serif\">"
        "<h1>Welcome, {{ sub('Name') }}</h1><p>Your <b>{{ sub('Plan') }}</b> plan is ready.</p>"
        "</body></html>"
    ),
    "templates/raw_push/message.yaml": """
        audience: beta_testers
        MessageConfiguration:
          GCMMessage: {Action: OPEN_APP, Title: t, Body: b}
          APNSMessage: {Title: "{{ 'A long title that runs past one line on the lock screen' }}", Body: "{{ 'word ' * 60 }}end", Action: OPEN_APP}
        PerUser:
          RawContent: '{"data": {"message": "{{ user.first_name }}"}}'
    """,
}


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = tmp_path_factory.mktemp("project")
    for folder in ("templates", "audiences"):
        shutil.copytree(REPOSITORY / folder, root / folder)
    return build_tree(root, EXTRA)


def cli(*args):
    result = runner.invoke(app, [*args, "--now", NOW])
    assert result.exit_code == 0, result.output
    return result


def preview_json(project, message):
    output = cli("preview", message, "beta_testers", "--root", str(project), "--format", "json")
    return {user["user_id"]: user for user in json.loads(output.stdout)["users"]}


@pytest.fixture(scope="module")
def site(project, tmp_path_factory):
    target = tmp_path_factory.mktemp("site")
    messages = sorted(p.name for p in (project / "templates").iterdir() if (p / "message.yaml").is_file())
    for message in messages:  # one command per message, the CLI's own path
        cli("preview", message, "beta_testers", "--root", str(project), "--format", "html", "-o", str(target / message))
    return target, messages


# Every recipient's channels, in page order, and what each field shows, read in one round
# trip (JSON objects may come back reordered, hence the pairs); <details> are opened first, as a reader would to see an email's text part.
READ_PAGE = """
document.querySelectorAll("details").forEach((details) => { details.open = true; });
const page = [];
for (const section of document.querySelectorAll("section[data-user]")) {
  const channels = [];
  for (const article of section.querySelectorAll("article[data-channel]")) {
    const fields = {};
    for (const element of article.querySelectorAll("[data-field]")) {
      const html = element.dataset.field === "html";
      fields[element.dataset.field] = {
        text: html ? element.getAttribute("srcdoc") : element.innerText,
        visible: element.checkVisibility(),
      };
    }
    channels.push([article.dataset.channel, fields]);
  }
  page.push([section.dataset.user, channels]);
}
return page;
"""


def expected_fields(channel):
    """The fields a channel's mock-up shows, by ``data-field``, from its JSON preview."""
    if channel["raw"]:
        return {"raw": channel["payload"]}
    fields = {"title": channel["title"], "body": channel["body"], "html": channel["html"]}
    if channel["html"] is not None and channel["body"] == channel["html"]:
        del fields["body"]  # an email whose only part is its HTML shows it once, in the frame
    return {name: value for name, value in fields.items() if value is not None}


def test_each_channel_shows_what_preview_json_gives(browser, project, site):
    target, messages = site
    compared = 0
    for message in messages:
        expected = preview_json(project, message)
        browser.get((target / message / "messages" / f"{message}.html").as_uri())
        page = browser.execute_script(READ_PAGE)
        assert page, message
        for user_id, channels in page:
            user = expected[user_id]
            assert [name for name, _ in channels] == list(user["channels"]), (message, user_id)
            for channel, fields in channels:
                where = (message, user_id, channel)
                assert all(field["visible"] for field in fields.values()), where
                texts = {name: field["text"] for name, field in fields.items()}
                assert texts == expected_fields(user["channels"][channel]), where
                compared += 1
        assert console_errors(browser) == [], message
    assert compared > 40  # every message, six locales, several channels


def test_the_text_part_of_an_email_is_there_when_opened(browser, project, site):
    target, _ = site
    browser.get((target / "welcome_email" / "messages" / "welcome_email.html").as_uri())
    article = browser.find_element(By.CSS_SELECTOR, 'section[data-user="u-0001"] article[data-channel="EMAIL"]')
    article.find_element(By.TAG_NAME, "summary").click()
    text = inner_text(browser, article.find_element(By.CSS_SELECTOR, '[data-field="body"]'))
    assert text == preview_json(project, "welcome_email")["u-0001"]["channels"]["EMAIL"]["body"]
    frame = article.find_element(By.TAG_NAME, "iframe")
    browser.switch_to.frame(frame)
    try:
        assert browser.find_element(By.TAG_NAME, "h1").text == "Welcome, Ana"
    finally:
        browser.switch_to.default_content()
    assert console_errors(browser) == []


@pytest.mark.parametrize(("name", "metrics"), [("phone", PHONE), ("desktop", DESKTOP)])
def test_pages_fit_the_width_and_are_screenshot(browser, site, tmp_path, name, metrics):
    target, messages = site
    emulate(browser, metrics)
    pages = [target / messages[0] / "index.html"]
    pages += [target / m / "messages" / f"{m}.html" for m in messages]
    for page in pages:
        browser.get(page.as_uri())
        overflow = browser.execute_script(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{page.name} is wider than the {name} screen by {overflow}px"
        shot = screenshot(browser, tmp_path / f"{page.parent.parent.name}-{page.stem}-{name}.png")
        assert shot.stat().st_size > 10_000
    assert console_errors(browser) == []


def test_the_diff_page_shows_both_sides(browser, project, tmp_path):
    repository = tmp_path / "repo"
    shutil.copytree(project, repository)
    env = {"GIT_AUTHOR_NAME": "r", "GIT_AUTHOR_EMAIL": "r@example.com", "GIT_COMMITTER_NAME": "r",
           "GIT_COMMITTER_EMAIL": "r@example.com", "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(tmp_path)}
    import subprocess

    for args in (["init", "-q", "-b", "main"], ["add", "."], ["commit", "-q", "-m", "base"]):
        subprocess.run(["git", *args], cwd=repository, env=env, check=True, capture_output=True)
    body = repository / "templates/order_shipped/push_body.j2"
    body.write_text(body.read_text().replace("Tap to follow it.", "Tap to follow it – it’s close."))
    target = tmp_path / "diff"
    cli("diff", "--base", "main", "--root", str(repository), "--format", "html", "-o", str(target))
    for metrics, name in ((PHONE, "phone"), (DESKTOP, "desktop")):
        emulate(browser, metrics)
        browser.get((target / "index.html").as_uri())
        groups = browser.find_elements(By.CSS_SELECTOR, ".group")
        assert {g.get_attribute("data-channel") for g in groups} == {"APNS", "GCM"}
        before, after = groups[0].find_elements(By.CSS_SELECTOR, '[data-field="body"]')
        assert inner_text(browser, before) == "Ana, order A-1042 is on its way. Tap to follow it."
        assert inner_text(browser, after) == "Ana, order A-1042 is on its way. Tap to follow it – it’s close."
        screenshot(browser, tmp_path / f"diff-{name}.png")
    assert console_errors(browser) == []
