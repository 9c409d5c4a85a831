"""The diff report as a pull-request comment."""

from __future__ import annotations

from tests.review.diff.support import diff, edit, example


def test_markdown_is_a_pull_request_comment(tmp_path):
    root = example(tmp_path)
    edit(root / "templates/order/message.yaml", "has shipped.", "is on its way.")

    result = diff(root, "--format", "markdown")

    assert result.exit_code == 0, result.stderr
    markdown = result.stdout
    assert markdown.startswith(
        "<!-- pipeline-diff -->\n## Rendered message diff: `main` → working tree\n"
    )
    assert "| Message | Status | Audience | Users | Changed | Added | Removed |" in markdown
    assert "| `order` | changed | `audiences/people.yaml` | 4 | 4 | 0 | 0 |" in markdown
    assert "Unchanged: `digest`." in markdown
    assert (
        "<details>\n<summary><strong>order</strong>: changed, 4 changed of 4 users (SMS)</summary>"
        in markdown
    )
    assert (
        "**3 users**: `u-1`, `u-3`, `u-4` · SMS parts 1, GSM-7\n\n"
        "```diff\n--- body\n+++ body\n"
        "-Ana, order A-1 has shipped.\n+Ana, order A-1 is on its way.\n```"
    ) in markdown
    assert markdown.count("<details>") == markdown.count("</details>") == 1
