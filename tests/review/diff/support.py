"""Shared inputs of the diff tests: real git repositories built in tmp_path."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.helpers import build_tree, run_cli

COMMIT_DATE = "2026-01-05T09:30:00+00:00"
GIT_ENV = {
    "GIT_AUTHOR_NAME": "Reviewer",
    "GIT_AUTHOR_EMAIL": "reviewer@example.com",
    "GIT_COMMITTER_NAME": "Reviewer",
    "GIT_COMMITTER_EMAIL": "reviewer@example.com",
    "GIT_AUTHOR_DATE": COMMIT_DATE,
    "GIT_COMMITTER_DATE": COMMIT_DATE,
    "GIT_CONFIG_NOSYSTEM": "1",
}

ORDER = """
    audience: people
    MessageConfiguration:
      SMSMessage:
        Body: "{{ sub('FirstName') }}, order {{ sub('OrderId') }} has shipped."
        MessageType: TRANSACTIONAL
      APNSMessage:
        Title: "Your order has shipped"
        Body: "{{ sub('FirstName') }}, tap to follow order {{ sub('OrderId') }}."
        Action: OPEN_APP
    PerUser:
      Substitutions:
        FirstName: "{{ user.first_name }}"
        OrderId: "{{ user.order }}"
"""

DIGEST = """
    audience: people
    MessageConfiguration:
      SMSMessage: {MessageType: PROMOTIONAL}
      GCMMessage: {Action: OPEN_APP}
    PerUser:
      TitleOverride: "{{ user.first_name }}, your week"
      BodyOverride: "{% include 'digest/body.j2' %}"
"""

DIGEST_BODY = """
    Hi {{ user.first_name }}, you have {{ user.points }} points.
    See your rewards at https://shop.example.com/rewards
    The Example Shop team
"""

PEOPLE = """
    users:
      - {id: u-1, first_name: Ana, order: A-1, points: 1200}
      - {id: u-2, first_name: Zoë, order: A-2, points: 80}
      - {id: u-3, first_name: Bob, order: A-3, points: 15}
      - {id: u-4, first_name: Chloé, order: A-4, points: 3000}
"""


def git(repo: Path, *args: str) -> str:
    # A global config file that does not exist: the user's own settings (signing, hooks,
    # default branch) stay out of the test.
    isolated = {**os.environ, **GIT_ENV, "GIT_CONFIG_GLOBAL": str(repo / ".no-gitconfig")}
    done = subprocess.run(["git", *args], cwd=repo, env=isolated, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


def committed(repo: Path, files: dict[str, str], *, project: str = "") -> Path:
    """A repository whose single commit on ``main`` holds ``files`` under ``project``."""
    root = repo / project if project else repo
    build_tree(root, files)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    return root


def example(tmp_path: Path, **extra: str) -> Path:
    files = {
        "templates/order/message.yaml": ORDER,
        "templates/digest/message.yaml": DIGEST,
        "templates/digest/body.j2": DIGEST_BODY,
        "audiences/people.yaml": PEOPLE,
        **extra,
    }
    return committed(tmp_path / "repo", files)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def diff(root: Path, *args: str) -> object:
    return run_cli(["diff", "--base", "main", "--root", str(root), *args])


def one(report, name):
    [message] = [m for m in report.messages if m.name == name]
    return message


def channel(message, name):
    [found] = [c for c in message.comparison.channels if c.channel == name]
    return found
