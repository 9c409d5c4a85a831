"""Test helpers: write small projects inline so each test shows its inputs."""

from __future__ import annotations

import textwrap
from pathlib import Path

# The repository (its templates/ and audiences/ are the project's own example content) and
# the golden files of the example messages.
REPO = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"


def build_tree(root: Path, files: dict[str, str | bytes]) -> Path:
    """Write ``{relative path: content}`` under ``root``; text is dedented. Returns root."""
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content).lstrip("\n"), encoding="utf-8")
    return root


SIMPLE_MESSAGE = """
    MessageConfiguration:
      SMSMessage:
        Body: "{{ sub('FirstName') }}, hello"
        MessageType: TRANSACTIONAL
    PerUser:
      Substitutions:
        FirstName: "{{ user.first_name }}"
"""

SIMPLE_AUDIENCE = """
    users:
      - {id: u-1, first_name: Ana}
      - {id: u-2, first_name: Zoë}
"""


def simple_project(root: Path, **extra: str | bytes) -> Path:
    """A project with one message ``hello`` and one audience ``people``, plus ``extra`` files."""
    return build_tree(
        root,
        {
            "templates/hello/message.yaml": SIMPLE_MESSAGE,
            "audiences/people.yaml": SIMPLE_AUDIENCE,
            **extra,
        },
    )
