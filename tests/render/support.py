"""Shared inputs of the render tests: a project written inline, rendered at a fixed clock."""

from datetime import UTC, datetime

from pipeline.render.renderer import render_requests
from tests.helpers import build_tree

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


def render(root, message="m", audience="a", **options):
    options.setdefault("now", NOW)
    return list(render_requests(message, audience, app_id="app-1", root=root, **options))


def users_of(requests):
    return {
        user_id: config
        for request in requests
        for user_id, config in request["SendUsersMessageRequest"]["Users"].items()
    }


def project(tmp_path, message, audience="users:\n  - {id: u-1, first_name: Ana}\n", **files):
    return build_tree(
        tmp_path,
        {"templates/m/message.yaml": message, "audiences/a.yaml": audience, **files},
    )
