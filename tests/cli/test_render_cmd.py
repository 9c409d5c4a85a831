import json
import re

import pytest

from pipeline.api import validation_errors
from tests.helpers import build_tree, run_cli, simple_project

GOOD_MESSAGE = """
    MessageConfiguration:
      SMSMessage: {Body: "{{ sub('Name') }}, hi", MessageType: TRANSACTIONAL}
    PerUser:
      Substitutions: {Name: "{{ user.first_name }}"}
"""
GOOD_AUDIENCE = "users:\n  - {id: u-1, first_name: Ana}\n"


def invoke(root, *args, env=None):
    return run_cli(["render", *args, "--root", str(root)], env=env)


def test_render_writes_json_lines_to_stdout(tmp_path):
    root = simple_project(tmp_path)
    result = invoke(root, "hello", "people", "--app-id", "app-1", "--now", "2026-01-01T00:00:00Z")
    assert result.exit_code == 0, result.stderr
    [line] = result.stdout.splitlines()
    request = json.loads(line)
    assert set(request) == {"ApplicationId", "SendUsersMessageRequest"}
    assert request["ApplicationId"] == "app-1"
    assert validation_errors(request) is None


def test_app_id_comes_from_the_environment(tmp_path):
    root = simple_project(tmp_path)
    result = invoke(root, "hello", "people", env={"PIPELINE_APP_ID": "from-env"})
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["ApplicationId"] == "from-env"


def test_missing_app_id_is_a_usage_error(tmp_path):
    root = simple_project(tmp_path)
    result = invoke(root, "hello", "people", env={"PIPELINE_APP_ID": ""})
    assert result.exit_code == 2


def test_output_file_and_paths_instead_of_names(tmp_path):
    root = simple_project(tmp_path)
    target = tmp_path / "out.jsonl"
    result = invoke(
        root,
        str(root / "templates/hello"),
        str(root / "audiences/people.yaml"),
        "--app-id",
        "a",
        "-o",
        str(target),
    )
    assert result.exit_code == 0, result.stderr
    assert "Wrote 1 requests for 2 users" in result.stderr
    assert len(target.read_text().splitlines()) == 1


def test_same_inputs_give_byte_identical_output(tmp_path):
    root = simple_project(tmp_path)
    outputs = [
        invoke(root, "hello", "people", "--app-id", "a", "--now", "2026-01-01T00:00:00Z").stdout
        for _ in range(2)
    ]
    assert outputs[0] == outputs[1] and outputs[0]


def test_var_and_now_options(tmp_path):
    root = build_tree(
        tmp_path,
        {
            "templates/m/message.yaml": """
            vars: {url: https://a.example}
            MessageConfiguration: {SMSMessage: {Body: "{{ vars.url }} {{ now.year }}"}}
        """,
            "audiences/a.yaml": GOOD_AUDIENCE,
        },
    )
    result = invoke(
        root,
        "m",
        "a",
        "--app-id",
        "x",
        "--var",
        "url=https://b.example",
        "--now",
        "2031-05-01T10:00:00+02:00",
    )
    body = json.loads(result.stdout)["SendUsersMessageRequest"]["MessageConfiguration"]
    assert body["SMSMessage"]["Body"] == "https://b.example 2031"


def test_a_failed_render_leaves_an_existing_output_file_untouched(tmp_path):
    root = build_tree(
        tmp_path,
        {
            "templates/m/message.yaml": GOOD_MESSAGE,
            "audiences/a.jsonl": '{"id": "u-1", "first_name": "Ana"}\n{"id": "u-2"}\n',
        },
    )
    target = tmp_path / "out.jsonl"
    target.write_text("previous\n")
    result = invoke(root, "m", "a", "--app-id", "x", "-o", str(target))
    assert result.exit_code == 2
    assert target.read_text() == "previous\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["audiences", "out.jsonl", "templates"]


# Each case: files that differ from a good project, then a regex for the one-line error.
BAD_INPUTS = [
    (
        "yaml syntax",
        {"templates/m/message.yaml": "MessageConfiguration: [\n"},
        r"templates/m/message\.yaml:\d+: invalid YAML",
    ),
    (
        "misspelled field",
        {"templates/m/message.yaml": "MessageConfiguration:\n  SMSMessage:\n    Bodyy: hi\n"},
        r"message\.yaml:3: unknown field 'Bodyy' in SMSMessage .*did you mean 'Body'\?",
    ),
    (
        "misspelled top-level key",
        {"templates/m/message.yaml": "MessageConfiguration: {SMSMessage: {}}\nPerUsr: {}\n"},
        r"message\.yaml:2: unknown top-level key 'PerUsr'.*did you mean 'PerUser'\?",
    ),
    (
        "unknown per-user field",
        {
            "templates/m/message.yaml": "MessageConfiguration: {SMSMessage: {}}\nPerUser:\n  Body: x\n"
        },
        r"message\.yaml:3: unknown field 'Body' in PerUser.*did you mean 'BodyOverride'\?",
    ),
    (
        "wrong type",
        {"templates/m/message.yaml": "MessageConfiguration:\n  APNSMessage:\n    Badge: many\n"},
        r"message\.yaml:3: Badge must be a whole number, not str",
    ),
    (
        "string field given a number",
        {"templates/m/message.yaml": "MessageConfiguration:\n  SMSMessage:\n    Body: 12\n"},
        r"message\.yaml:3: Body must be a string \(quote it\), not int",
    ),
    (
        "unknown channel block",
        {"templates/m/message.yaml": "MessageConfiguration:\n  PushMessage: {Body: hi}\n"},
        r"message\.yaml:2: unknown channel block 'PushMessage'",
    ),
    (
        "no channel block",
        {"templates/m/message.yaml": "PerUser: {BodyOverride: hi}\n"},
        r"MessageConfiguration is missing or empty",
    ),
    (
        "duplicate key",
        {
            "templates/m/message.yaml": "MessageConfiguration: {SMSMessage: {}}\nPerUser: {}\nPerUser: {}\n"
        },
        r"message\.yaml:3: duplicate key 'PerUser'",
    ),
    (
        "python tag in message",
        {
            "templates/m/message.yaml": "MessageConfiguration: !!python/object/apply:os.system [ls]\n"
        },
        r"message\.yaml:1: YAML tag not allowed",
    ),
    (
        "python tag in audience",
        {"audiences/a.yaml": "users:\n  - !!python/object/apply:os.system [ls]\n"},
        r"a\.yaml:2: YAML tag not allowed",
    ),
    (
        "message not UTF-8",
        {"templates/m/message.yaml": b"MessageConfiguration:\n  # \xff\n"},
        r"message\.yaml:2: the file is not UTF-8",
    ),
    (
        "template not UTF-8",
        {
            "templates/m/message.yaml": "MessageConfiguration: {SMSMessage: {}}\n"
            "PerUser: {BodyOverride: \"{% include 'm/b.j2' %}\"}\n",
            "templates/m/b.j2": b"caf\xe9",
        },
        r"templates/m/b\.j2: the template is not UTF-8",
    ),
    (
        "audience not UTF-8",
        {"audiences/a.yaml": b"users:\n  - {id: u-1, first_name: \xe9}\n"},
        r"a\.yaml:2: the file is not UTF-8",
    ),
    (
        "duplicate user id",
        {
            "audiences/a.yaml": "users:\n  - {id: u-1, first_name: A}\n"
            "  - {id: u-1, first_name: B}\n"
        },
        r"a\.yaml:3: duplicate user id 'u-1', first at line 2 \(user 'u-1'\)",
    ),
    (
        "address of two users",
        {
            "audiences/a.yaml": "users:\n  - {id: u-1, first_name: A, addresses: {SMS: '+1'}}\n"
            "  - {id: u-2, first_name: B, addresses: {VOICE: '+1'}}\n"
        },
        r"a\.yaml:3: address '\+1' \(VOICE\) is also listed for user 'u-1' at line 2 "
        r"\(user 'u-2'\); an address belongs to one user",
    ),
    (
        "unknown address channel",
        {"audiences/a.yaml": "users:\n  - {id: u-1, first_name: A, addresses: {PUSH: x}}\n"},
        r"a\.yaml:2: unknown address channel 'PUSH' \(user 'u-1'\); use one of SMS",
    ),
    (
        "missing id",
        {"audiences/a.yaml": "users:\n  - {first_name: A}\n"},
        r"a\.yaml:2: user has no id.*give every user an 'id'",
    ),
    ("empty audience", {"audiences/a.yaml": "users: []\n"}, r"a\.yaml: the audience has no users"),
    (
        "undefined user attribute",
        {"audiences/a.yaml": "users:\n  - {id: u-9, name: A}\n"},
        r"message\.yaml:4: undefined value: no key or attribute 'first_name' \(user 'u-9', "
        r"field PerUser\.Substitutions\.Name\)",
    ),
    (
        "undefined variable in a channel block",
        {
            "templates/m/message.yaml": "MessageConfiguration:\n  SMSMessage:\n"
            "    Body: '{{ vars.nope }}'\n"
        },
        r"message\.yaml:3: undefined value: no key or attribute 'nope'",
    ),
    (
        "template syntax error",
        {
            "templates/m/message.yaml": "MessageConfiguration: {SMSMessage: {}}\n"
            "PerUser:\n  BodyOverride: '{{ user.first_name }'\n"
        },
        r"message\.yaml:3: template syntax error: unexpected '}'",
    ),
    (
        "syntax error in an included file",
        {
            "templates/m/message.yaml": "MessageConfiguration: {SMSMessage: {}}\n"
            "PerUser: {BodyOverride: \"{% include 'm/b.j2' %}\"}\n",
            "templates/m/b.j2": "line\n{% if %}\n",
        },
        r"templates/m/b\.j2:2: template syntax error",
    ),
    (
        "invalid RawContent JSON",
        {
            "templates/m/message.yaml": "MessageConfiguration: {GCMMessage: {}}\n"
            "PerUser:\n  RawContent: '{\"a\": {{ user.first_name }}}'\n"
        },
        r"message\.yaml:3: RawContent is not valid JSON.*\(user 'u-1', field PerUser\.RawContent\)",
    ),
    (
        "user in a channel block",
        {
            "templates/m/message.yaml": "MessageConfiguration:\n  SMSMessage:\n"
            "    Body: '{{ user.first_name }}'\n"
        },
        r"message\.yaml:3: 'user' is not available in MessageConfiguration",
    ),
    (
        "missing include",
        {
            "templates/m/message.yaml": "MessageConfiguration: {SMSMessage: {}}\n"
            "PerUser: {BodyOverride: \"{% include 'm/none.j2' %}\"}\n"
        },
        r"template not found: m/none\.j2",
    ),
]


@pytest.mark.parametrize(
    ("files", "pattern"), [case[1:] for case in BAD_INPUTS], ids=[case[0] for case in BAD_INPUTS]
)
def test_bad_input_is_one_line_exit_2_and_no_output(tmp_path, files, pattern):
    root = build_tree(
        tmp_path / "project",
        {
            "templates/m/message.yaml": GOOD_MESSAGE,
            "audiences/a.yaml": GOOD_AUDIENCE,
            **files,
        },
    )
    target = tmp_path / "out.jsonl"
    result = invoke(root, "m", "a", "--app-id", "x", "-o", str(target))
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    assert "Traceback" not in result.stderr
    import re

    assert re.search(pattern, lines[0]), lines[0]
    assert not target.exists()
    assert not list(tmp_path.glob("*.tmp"))


@pytest.mark.parametrize(
    ("args", "pattern"),
    [
        (["nope", "a"], r"no message 'nope'"),
        (["m", "nope"], r"no audience 'nope'"),
        (["m", "a", "--var", "novalue"], r"--var 'novalue' is not KEY=VALUE"),
        (["m", "a", "--now", "yesterday"], r"--now 'yesterday' is not an ISO 8601"),
    ],
)
def test_bad_arguments(tmp_path, args, pattern):
    root = build_tree(
        tmp_path, {"templates/m/message.yaml": GOOD_MESSAGE, "audiences/a.yaml": GOOD_AUDIENCE}
    )
    result = invoke(root, *args, "--app-id", "x")
    assert result.exit_code == 2
    import re

    assert re.search(pattern, result.stderr), result.stderr
    assert result.stdout == ""


def test_output_to_a_pipe_writes_into_it_and_leaves_it_a_pipe(tmp_path):
    import os
    import stat
    import threading

    root = simple_project(tmp_path / "p")
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text()))
    reader.start()
    result = invoke(root, "hello", "people", "--app-id", "a", "-o", str(fifo))
    reader.join(timeout=10)
    assert result.exit_code == 0, result.stderr
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert json.loads(received[0])["ApplicationId"] == "a"


# --api send-messages: the same users, to the addresses the audience lists.

ADDRESSED_AUDIENCE = """
    users:
      - {id: u-1, first_name: Ana, addresses: {SMS: "+15550100001", GCM: tok-1}}
      - {id: u-2, first_name: Zoë}
"""


def test_render_to_addresses_writes_send_messages_requests(tmp_path):
    root = build_tree(
        tmp_path, {"templates/m/message.yaml": GOOD_MESSAGE, "audiences/a.yaml": ADDRESSED_AUDIENCE}
    )
    target = tmp_path / "out.jsonl"
    result = invoke(
        root, "m", "a", "--app-id", "app-1", "--api", "send-messages", "-o", str(target)
    )
    assert result.exit_code == 0, result.stderr
    [request] = [json.loads(line) for line in target.read_text().splitlines()]
    assert set(request) == {"ApplicationId", "MessageRequest"}
    assert validation_errors(request) is None
    assert request["MessageRequest"]["Addresses"] == {
        "+15550100001": {"ChannelType": "SMS", "Substitutions": {"Name": ["Ana"]}},
        "tok-1": {"ChannelType": "GCM", "Substitutions": {"Name": ["Ana"]}},
    }
    assert result.stderr.splitlines() == [
        f"Wrote 1 requests for 2 addresses of 1 users to {target}",
        "Note: 1 users have no addresses and are in no request; "
        "`pipeline send --api send-messages` reports them as PERMANENT_FAILURE",
    ]


def test_the_users_api_stays_the_default_and_ignores_addresses(tmp_path):
    root = build_tree(
        tmp_path, {"templates/m/message.yaml": GOOD_MESSAGE, "audiences/a.yaml": ADDRESSED_AUDIENCE}
    )
    default = invoke(root, "m", "a", "--app-id", "x", "--now", "2026-01-01T00:00:00Z")
    named = invoke(
        root,
        "m",
        "a",
        "--app-id",
        "x",
        "--now",
        "2026-01-01T00:00:00Z",
        "--api",
        "send-users-messages",
    )
    assert default.exit_code == 0, default.stderr
    assert default.stdout == named.stdout
    assert list(json.loads(default.stdout)["SendUsersMessageRequest"]["Users"]) == ["u-1", "u-2"]
    assert default.stderr == ""


def test_an_unknown_api_is_a_usage_error(tmp_path):
    root = simple_project(tmp_path)
    result = invoke(root, "hello", "people", "--app-id", "a", "--api", "send-emails")
    assert result.exit_code == 2
    assert "send-users-messages" in result.stderr and "send-messages" in result.stderr
    assert result.stdout == ""


@pytest.fixture
def big_project(tmp_path, monkeypatch):
    import pipeline.chunks

    monkeypatch.setattr(pipeline.chunks, "CHUNK_BYTES", 500)
    lines = "".join(
        json.dumps(
            {
                "id": f"u-{n:03d}",
                "first_name": "Zoë" if n % 3 else "Ana",
                "locale": ["en", "fr", "de"][n % 7 % 3],
            }
        )
        + "\n"
        for n in range(450)
    )
    message = GOOD_MESSAGE.replace("{{ sub('Name') }}, hi", "{{ locale }}: {{ sub('Name') }}")
    return build_tree(tmp_path, {"templates/m/message.yaml": message, "audiences/a.jsonl": lines})


def render_out(root, *args, env=None):
    result = invoke(
        root, "m", "a", "--app-id", "app-1", "--now", "2026-01-01T00:00:00Z", *args, env=env
    )
    assert result.exit_code == 0, result.stderr
    return result


def test_workers_give_the_bytes_of_one_process(big_project):
    one = render_out(big_project, "--workers", "1").stdout
    assert len(one.splitlines()) == 6  # per locale, a full request then a partial one
    assert render_out(big_project, "--workers", "2").stdout == one
    assert render_out(big_project).stdout == one  # the default: every usable core


def test_shard_renders_its_users_and_says_so(big_project):
    from pipeline.shard import Shard

    result = render_out(big_project, "--shard", "2/3")
    assert result.stderr == "shard 2/3 (from --shard): the users whose id hashes to it\n"
    users = [
        user
        for line in result.stdout.splitlines()
        for user in json.loads(line)["SendUsersMessageRequest"]["Users"]
    ]
    assert users and all(Shard(2, 3).contains(user) for user in users)


def test_shard_comes_from_an_array_job(big_project):
    env = {"AWS_BATCH_JOB_ARRAY_INDEX": "1", "AWS_BATCH_JOB_ARRAY_SIZE": "3"}
    result = render_out(big_project, env=env)
    assert result.stdout == render_out(big_project, "--shard", "2/3").stdout
    assert (
        "shard 2/3 (from AWS_BATCH_JOB_ARRAY_INDEX=1, AWS_BATCH_JOB_ARRAY_SIZE=3)" in result.stderr
    )
    kubernetes = render_out(big_project, "--shards", "3", env={"JOB_COMPLETION_INDEX": "1"})
    assert kubernetes.stdout == result.stdout


@pytest.mark.parametrize(
    ("args", "env", "pattern"),
    [
        (["--shard", "4/3"], None, r"^Error: shard 4/3 does not exist; write --shard I/N"),
        (["--shard", "x"], None, r"^Error: --shard 'x' is not I/N"),
        (["--shards", "3"], None, r"^Error: --shards 3 without a shard index"),
        ([], {"JOB_COMPLETION_INDEX": "0"}, r"^Error: JOB_COMPLETION_INDEX is set but the number"),
    ],
)
def test_bad_shards_are_one_line_exit_2(big_project, args, env, pattern):
    result = invoke(big_project, "m", "a", "--app-id", "app-1", *args, env=env)
    assert result.exit_code == 2
    assert re.match(pattern, result.stderr)
    assert result.stderr.count("\n") == 1
    assert result.stdout == ""
