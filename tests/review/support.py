"""Shared inputs of the review tests: small messages, audiences, and lint run on them."""

from datetime import UTC, datetime

from pipeline.review.lint import Finding, lint_message
from tests.helpers import build_tree

NOW = datetime(2026, 1, 1, tzinfo=UTC)
GOOD = """
    MessageConfiguration:
      SMSMessage: {Body: "{{ sub('Name') }}, hi", MessageType: TRANSACTIONAL}
    PerUser:
      Substitutions: {Name: "{{ user.first_name }}"}
"""

PEOPLE = """
    users:
      - {id: u-1, first_name: Ana}
      - {id: u-2, first_name: Bob}
"""


def lint(tmp_path, message=GOOD, audience=PEOPLE, **files):
    """Lint message ``m`` of a project written inline, against audience ``people``."""
    tree = {"templates/m/message.yaml": message, **files}
    if audience is not None:
        tree["audiences/people.yaml"] = audience
    root = build_tree(tmp_path, tree)
    return list(
        lint_message("m", root=root, audience="people" if audience else None, now=NOW).findings
    )


def only(findings: list[Finding], check: str) -> list[Finding]:
    return [finding for finding in findings if finding.check == check]


# Preview: a message for SMS and push, and two users, one with a locale.
PREVIEW_PEOPLE = """
    users:
      - {id: u-1, first_name: Ana, locale: fr-FR}
      - {id: u-2, first_name: Zoë}
"""

SMS_AND_PUSH = """
    MessageConfiguration:
      SMSMessage: {Body: "{{ sub('Name') }}, it’s shipped"}
      GCMMessage: {Body: "{{ sub('Name') }}"}
    PerUser:
      Substitutions: {Name: "{{ user.first_name }}"}
"""
