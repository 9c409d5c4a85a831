"""``pipeline diff --format html``: changed users before and after, on the same mock-ups."""

import os
import re
import subprocess

import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.review.diff import diff_messages
from pipeline.review.html.diff_site import build_diff_site
from tests.helpers import build_tree

runner = CliRunner()

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Reviewer",
    "GIT_AUTHOR_EMAIL": "reviewer@example.com",
    "GIT_COMMITTER_NAME": "Reviewer",
    "GIT_COMMITTER_EMAIL": "reviewer@example.com",
    "GIT_AUTHOR_DATE": "2026-01-05T09:30:00+00:00",
    "GIT_COMMITTER_DATE": "2026-01-05T09:30:00+00:00",
    "GIT_CONFIG_NOSYSTEM": "1",
}
ORDER = """
    audience: people
    MessageConfiguration:
      SMSMessage:
        Body: "{{ sub('Name') }}, your order has shipped."
      APNSMessage: {Title: Shipped, Body: "{{ sub('Name') }}, tap to follow it.", Action: OPEN_APP}
    PerUser:
      Substitutions: {Name: "{{ user.first_name }}"}
"""
PEOPLE = """
    users:
      - {id: u-1, first_name: Ana}
      - {id: u-2, first_name: Zoë}
"""


def git(root, *args):
    env = {**os.environ, **GIT_ENV, "HOME": str(root)}
    subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path):
    root = build_tree(
        tmp_path / "repo", {"templates/order/message.yaml": ORDER, "audiences/people.yaml": PEOPLE}
    )
    git(root, "init", "-q", "-b", "main")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "base")
    build_tree(root, {"templates/order/message.yaml": ORDER.replace("has shipped", "is on its way ’")})
    return root


def test_each_group_shows_its_first_user_before_and_after(repo):
    page = build_diff_site(diff_messages(base="main", root=repo))["index.html"]
    groups = re.findall(r'<div class="group" id="([^"]+)" data-channel="(\w+)"', page)
    # Ana's SMS turns UCS-2, Zoë's already was: two different changes.
    assert [channel for _, channel in groups] == ["SMS", "SMS"]
    assert "Ana, your order has shipped." in page
    assert "Ana, your order is on its way <mark" in page  # the after side, ’ marked
    assert page.count('data-side="before"') == page.count('data-side="after"') == 2
    assert "-Ana, your order has shipped." in page  # the diff lines too
    assert "<script" not in page


def test_the_page_is_a_pure_function_of_the_report(repo):
    report = diff_messages(base="main", root=repo)
    assert build_diff_site(report) == build_diff_site(diff_messages(base="main", root=repo))


def test_cli_writes_the_site_and_nothing_on_stdout(repo, tmp_path):
    site = tmp_path / "diff-site"
    result = runner.invoke(
        app, ["diff", "--base", "main", "--root", str(repo), "--format", "html", "-o", str(site)]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert "Rendered message diff" in (site / "index.html").read_text()


@pytest.mark.parametrize("args", [["--format", "html"], ["-o", "x"], ["--format", "text", "-o", "x"]])
def test_cli_o_and_format_html_go_together(repo, tmp_path, args):
    result = runner.invoke(app, ["diff", "--base", "main", "--root", str(repo), *args])
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: -o writes an HTML site")
    assert not (repo / "x").exists()
