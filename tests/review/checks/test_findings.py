"""Findings: one per problem however many users it fails for, and the table of checks."""

from pipeline.review.lint import CHECKS
from tests.review.support import GOOD, lint


def test_many_failing_users_make_one_finding_with_a_sample(tmp_path):
    audience = "users:\n" + "".join(f"  - {{id: u-{n}}}\n" for n in range(40))
    [finding] = lint(tmp_path, GOOD, audience)
    assert finding.check == "undefined"
    assert finding.user_count == 40
    assert finding.users == ("u-0", "u-1", "u-2", "u-3", "u-4")
    assert "(for 40 users: u-0, u-1, u-2, u-3, u-4, ...)" in finding.text()


def test_every_check_has_a_severity():
    assert {check.severity for check in CHECKS.values()} == {"error", "warning"}
