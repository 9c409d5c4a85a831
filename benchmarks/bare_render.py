"""The baseline the render benchmark compares against: the simplest script that does the job.

Per user, one precompiled jinja2 template renders every per-user field of the reference
message; each 100-user request is validated with botocore's validator and json.dumps'd.

    python benchmarks/bare_render.py AUDIENCE.jsonl OUT.jsonl
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import botocore.session
import jinja2
from botocore.validate import ParamValidator

SEP = "\x1f"
PER_USER = SEP.join(
    [
        "Hi {{ user.first_name }}, order {{ user.last_order }} has shipped. Track it at "
        "{{ vars.store_url }}/o/{{ user.last_order }}",
        "{{ user.first_name }}, your order is on its way",
        "{{ user.first_name }}",
        "{{ user.last_order }}",
        "{{ user.plan }}",
    ]
)
CONFIGURATION = {
    "SMSMessage": {"MessageType": "TRANSACTIONAL"},
    "APNSMessage": {"Action": "OPEN_APP"},
    "GCMMessage": {"Action": "OPEN_APP"},
}


def main() -> None:
    source, target = sys.argv[1], sys.argv[2]
    template = jinja2.Environment(undefined=jinja2.StrictUndefined).from_string(PER_USER)
    model = botocore.session.get_session().get_service_model("pinpoint")
    shape = model.operation_model("SendUsersMessages").input_shape
    validator = ParamValidator()
    variables = {"store_url": "https://shop.example.com"}

    def flush(users: dict, out) -> None:
        request = {
            "ApplicationId": "bench",
            "SendUsersMessageRequest": {"MessageConfiguration": CONFIGURATION, "Users": users},
        }
        report = validator.validate(request, shape)
        if report.has_errors():
            raise SystemExit(report.generate_report())
        out.write(json.dumps(request, ensure_ascii=False, separators=(",", ":")) + "\n")

    with (
        Path(source).open(encoding="utf-8") as lines,
        Path(target).open("w", encoding="utf-8") as out,
    ):
        users: dict = {}
        for line in lines:
            user = json.loads(line)
            body, title, first, order, plan = template.render(user=user, vars=variables).split(SEP)
            users[user["id"]] = {
                "BodyOverride": body,
                "TitleOverride": title,
                "Substitutions": {"FirstName": [first], "OrderId": [order], "Plan": [plan]},
            }
            if len(users) == 100:
                flush(users, out)
                users = {}
        if users:
            flush(users, out)


if __name__ == "__main__":
    main()
