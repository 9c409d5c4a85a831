"""Every hostile or odd input of issue #9, as an attacker or a warehouse export brings it.

Each row runs one command and holds it to the contract: the exit code, exactly one
``Error:`` line (or none where the command succeeds or reports findings), no traceback,
no partial output file, nothing read from outside the project shown, and where the input
is valid, the right output. Work that would never end is stopped by the render limits,
whatever the machine's speed: no row is decided by a clock.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import resource
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from pipeline import api
from pipeline.sandbox import Sandbox
from pipeline.send.journal import Journal
from tests.helpers import build_tree, run_cli
from tests.review.diff.support import committed, edit, git
from tests.review.test_gitrepo import fake_repository
from tests.send.support import DUMMY_AWS_ENV, SEND_SPEC, make_requests, user_ids

SECRET = "stolen-secret-value"
AUDIENCE = "users:\n  - {id: u-1, first_name: Ana}\n  - {id: u-2, first_name: Zoë}\n"
# The seconds limit for rows whose loops would never end: any limit stops them.
QUICK = {"PIPELINE_RENDER_LIMITS": "seconds=0.2"}


def message(name: str = "{{ user.first_name }}", *, head: str = "", body: str | None = None) -> str:
    """A message whose SMS says ``{{Name}}, hi`` with Name rendered from ``name``."""
    block = body if body is not None else "\"{{ sub('Name') }}, hi\""
    return (
        f"{head}MessageConfiguration:\n  SMSMessage: {{Body: {block}, MessageType: TRANSACTIONAL}}\n"
        f"PerUser:\n  Substitutions: {{Name: {json.dumps(name)}}}\n"
    )


def bomb(key: str = "bomb") -> str:
    """Nine levels of nine aliases: under 400 bytes, 387,420,489 strings once expanded."""
    levels = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True):
        levels += f"{name}: &{name} [{','.join([f'*{previous}'] * 9)}]\n"
    return levels.replace("a: &a", f"{key}: &a", 1)


def _incompressible(seed: int) -> str:
    """200 characters of hex that zlib cannot shrink much, the same on every run."""
    return "".join(hashlib.sha256(f"{seed}-{k}".encode()).hexdigest() for k in range(4))[:200]


@dataclass
class Case:
    """One row: the project, the command, and what must come of it."""

    files: dict[str, str | bytes]
    args: list[str]
    exit_code: int
    error: str | None = None  # a regex the one Error: line matches; None: no Error line
    shows: str | None = None  # a regex that stdout must match (findings, reports)
    env: dict[str, str] = field(default_factory=dict)
    setup: Callable[[Path, ExitStack], dict[str, str]] | None = None  # more {placeholders}
    check: Callable[[Path, Any], None] | None = None  # more checks of a valid result
    machine_limit: int | None = None  # run as a process whose files may not grow past this


def _secret_outside(root: Path, stack: ExitStack) -> dict[str, str]:
    del stack
    secret = root.parent / "outside" / "secret.yaml"
    secret.parent.mkdir(exist_ok=True)
    secret.write_text(f"users:\n  - {{id: {SECRET}, first_name: {SECRET}}}\n")
    return {"secret": str(secret)}


def _audience_symlink(root: Path, stack: ExitStack) -> dict[str, str]:
    found = _secret_outside(root, stack)
    (root / "audiences").mkdir(exist_ok=True)
    (root / "audiences/people.yaml").symlink_to(found["secret"])
    return found


def _declared_outside(root: Path, stack: ExitStack) -> dict[str, str]:
    found = _secret_outside(root, stack)
    build_tree(root, {"templates/m/message.yaml": message(head=f"audience: {found['secret']}\n")})
    return found


def _message_symlink(root: Path, stack: ExitStack) -> dict[str, str]:
    found = _secret_outside(root, stack)
    outside = Path(found["secret"]).parent
    (outside / "message.yaml").write_text(message(f"{SECRET}"))
    (root / "templates").mkdir(exist_ok=True)
    (root / "templates/evil").symlink_to(outside)
    return found


def _include_symlink(root: Path, stack: ExitStack) -> dict[str, str]:
    found = _secret_outside(root, stack)
    (root / "templates/m/body.j2").symlink_to(found["secret"])
    return found


def _repository(root: Path, stack: ExitStack) -> dict[str, str]:
    del stack
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    return {}


def _diff_with_symlinked_audience(root: Path, stack: ExitStack) -> dict[str, str]:
    _repository(root, stack)
    (root / "audiences/people.yaml").unlink()
    return _audience_symlink(root, stack)


def _fake_repository_in_the_project(root: Path, stack: ExitStack) -> dict[str, str]:
    del stack
    top = root.parent / "top"
    project = committed(
        top,
        {"templates/m/message.yaml": message(head="audience: people\n"), "audiences/people.yaml": AUDIENCE},
        project="messaging",
    )
    marker = root.parent / "pwned"
    fake_repository(project, marker)
    git(top, "add", "-A")
    git(top, "commit", "-q", "-m", "a pull request's plain files")
    edit(project / "templates/m/message.yaml", ", hi", ", hello")
    return {"project": str(project), "marker": str(marker), "head": git(top, "rev-parse", "HEAD").strip()}


def _check_fake_repository(root: Path, result: Any) -> None:
    report = json.loads(result.stdout)
    top = root.parent / "top"
    assert report["commit"] == git(top, "rev-parse", "HEAD").strip()
    assert [m["status"] for m in report["messages"]] == ["changed"]
    assert not (root.parent / "pwned").exists()


def _read_only_folder(root: Path, stack: ExitStack) -> dict[str, str]:
    folder = root / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    stack.callback(folder.chmod, 0o755)
    # Permissions do not bind root; sysfs refuses a new file to anyone.
    target = "/sys/pipeline-output.jsonl" if os.geteuid() == 0 else str(folder / "out.jsonl")
    return {"readonly": target}


def _damaged_journal(root: Path, stack: ExitStack) -> dict[str, str]:
    del stack
    path = root / "journal.sqlite"
    with Journal(path) as book:
        book.create_run(SEND_SPEC, make_requests(user_ids(3)))
    with sqlite3.connect(path) as db:
        db.execute("UPDATE requests SET state = 'no-such-state'")
        db.execute(
            "INSERT INTO answers (request_id, run_id, origin, attempt, results)"
            " SELECT id, run_id, id, 1, 'not JSON' FROM requests"
        )
    return {"journal": str(path)}


def _garbage_journal(root: Path, stack: ExitStack) -> dict[str, str]:
    del stack
    (root / "journal.sqlite").write_text("not a database at all\n" * 100)
    return {"journal": str(root / "journal.sqlite")}


def _broken_aws_config(root: Path, stack: ExitStack) -> dict[str, str]:
    # A model cached by an earlier test would prove nothing: load it again, here.
    for cached in (api.service_model, api.operation_model, api.input_shape):
        cached.cache_clear()
    stack.callback(api.service_model.cache_clear)
    marker = root / "credential-process-ran"
    (root / "home/.aws").mkdir(parents=True)
    (root / "home/.aws/config").write_text(
        "[default\nregion = \n"  # not even a section header
        "[profile evil]\n"
        f"credential_process = sh -c 'touch {marker}; echo not-json'\n"
    )
    return {"marker": str(marker)}


def _aws_env(root: str) -> dict[str, str]:
    config = f"{root}/home/.aws/config"
    return {"HOME": f"{root}/home", "AWS_CONFIG_FILE": config, "AWS_PROFILE": "evil"}


def _check_offline(root: Path, result: Any) -> None:
    assert not (root / "credential-process-ran").exists()


def _sandbox(root: Path, stack: ExitStack) -> dict[str, str]:
    del root
    running = stack.enter_context(Sandbox())
    host = running.url.removeprefix("http://")
    return {"url": f"http://KEY:{SECRET}@{host}"}


def _check_no_secret_stored(root: Path, result: Any) -> None:
    listed = run_cli(["runs", "--journal", str(root / ".pipeline/journal.sqlite")])
    assert listed.exit_code == 0
    assert "http://127.0.0.1:" in listed.stdout
    for path in (root / ".pipeline").iterdir():
        assert SECRET.encode() not in path.read_bytes(), path


def _rendered_body(expected: str) -> Callable[[Path, Any], None]:
    def check(root: Path, result: Any) -> None:
        del root
        [line] = result.stdout.splitlines()
        users = json.loads(line)["SendUsersMessageRequest"]["Users"]
        assert users["u-1"]["BodyOverride"] == expected

    return check


RENDER = ["render", "m", "people", "--app-id", "app-1", "-o", "{root}/out.jsonl"]
RENDER_STDOUT = ["render", "m", "people", "--app-id", "app-1"]
LINT = ["lint", "m", "--audience", "people"]
OVERRIDE = "MessageConfiguration: {SMSMessage: {}}\nPerUser:\n  BodyOverride: \"{% include 'm/body.j2' %}\"\n"

CASES = {
    # 1. diff runs nothing a pull request commits.
    "diff: a repository-shaped project folder is never used": Case(
        {},
        ["diff", "--base", "main", "--root", "{project}", "--format", "json"],
        0,
        setup=_fake_repository_in_the_project,
        check=_check_fake_repository,
    ),
    # 2. Nothing outside the repository is read.
    "render: an audience symlinked out of the project": Case(
        {"templates/m/message.yaml": message()},
        RENDER,
        2,
        r"people\.yaml: the file leads outside the project root",
        setup=_audience_symlink,
    ),
    "lint: an audience symlinked out of the project": Case(
        {"templates/m/message.yaml": message(head="audience: people\n")},
        ["lint"],
        1,
        shows=r"error audience-invalid: the file leads outside the project root",
        setup=_audience_symlink,
    ),
    "lint: an absolute path in audience:": Case(
        {},
        ["lint"],
        1,
        shows=r"error audience-invalid: the file leads outside the project root",
        setup=_declared_outside,
    ),
    "lint: a message folder symlinked out of templates/": Case(
        {"audiences/people.yaml": AUDIENCE},
        ["lint", "evil", "--audience", "people"],
        1,
        shows=r"evil/message\.yaml: error message-invalid: the file leads outside",
        setup=_message_symlink,
    ),
    "diff: an audience symlinked out of the project": Case(
        {"templates/m/message.yaml": message(head="audience: people\n"), "audiences/people.yaml": AUDIENCE},
        ["diff", "--base", "main"],
        2,
        r"1 message\(s\) do not render in the working tree: m",
        shows=r"the file leads outside the project root",
        setup=_diff_with_symlinked_audience,
    ),
    "render: an include symlinked out of templates/": Case(
        {"templates/m/message.yaml": OVERRIDE, "audiences/people.yaml": AUDIENCE},
        RENDER,
        2,
        r"template not found: m/body\.j2",
        setup=lambda root, stack: _include_symlink(root, stack),
    ),
    # 3. Resource exhaustion ends in one line, soon.
    "render: nested range loops (10**10 iterations)": Case(
        {
            "templates/m/message.yaml": message(
                "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"
            ),
            "audiences/people.yaml": AUDIENCE,
        },
        RENDER,
        2,
        r"message\.yaml:4: the template exceeds a render limit: rendering took longer than the "
        r"limit of 0\.2 s .*\(user 'u-1', field PerUser\.Substitutions\.Name\)",
        env=QUICK,
    ),
    "lint: nested range loops (10**10 iterations)": Case(
        {
            "templates/m/message.yaml": message(
                "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}"
            ),
            "audiences/people.yaml": AUDIENCE,
        },
        LINT,
        1,
        shows=r"error render-failed: the template exceeds a render limit: rendering took longer",
        env=QUICK,
    ),
    "render: lipsum(10**7)": Case(
        {"templates/m/message.yaml": message("{{ lipsum(10**7) }}"), "audiences/people.yaml": AUDIENCE},
        RENDER,
        2,
        r"render limit: a text of 12,000,000,000 characters or items is over the limit of 1,000,000",
    ),
    "render: 10**(10**9)": Case(
        {"templates/m/message.yaml": message("{{ 10**(10**9) }}"), "audiences/people.yaml": AUDIENCE},
        RENDER,
        2,
        r"render limit: a number of about 999,999,999 digits is over the limit of 4,300 digits",
    ),
    "render: 'x' * 10**9": Case(
        {"templates/m/message.yaml": message("{{ 'x' * 10**9 }}"), "audiences/people.yaml": AUDIENCE},
        RENDER,
        2,
        r"render limit: a value of 1,000,000,000 characters or items is over the limit",
    ),
    "render: '%0999999999d' % 1": Case(
        {"templates/m/message.yaml": message("{{ '%0999999999d' % 1 }}"), "audiences/people.yaml": AUDIENCE},
        RENDER,
        2,
        r"render limit: a width of 999,999,999 characters or items is over the limit",
    ),
    "render: an alias bomb in message.yaml": Case(
        {"templates/m/message.yaml": bomb("vars") + message(), "audiences/people.yaml": AUDIENCE},
        RENDER,
        2,
        r"message\.yaml:\d+: the YAML's aliases expand to more than [\d,]+ values",
    ),
    "lint: an alias bomb in message.yaml": Case(
        {"templates/m/message.yaml": bomb("vars") + message(), "audiences/people.yaml": AUDIENCE},
        LINT,
        1,
        shows=r"error message-invalid: the YAML's aliases expand to more than",
    ),
    "render: an alias bomb in an audience with a user lacking an id": Case(
        {"templates/m/message.yaml": message(), "audiences/people.yaml": bomb() + "users: [{first_name: x}]\n"},
        RENDER,
        2,
        r"people\.yaml:\d+: the YAML's aliases expand to more than",
    ),
    # 4. One line instead of a traceback.
    "render: a 5,000-digit integer in JSON Lines": Case(
        {"templates/m/message.yaml": message(), "audiences/people.jsonl": '{"id": "u-1", "n": 1' + "0" * 5000 + "}\n"},
        RENDER,
        2,
        r"people\.jsonl:1: the JSON is nested too deeply, or has a number too long",
    ),
    "render: a 5,000-digit integer in a YAML audience": Case(
        {"templates/m/message.yaml": message(), "audiences/people.yaml": "users:\n  - {id: u-1, n: 1" + "0" * 5000 + "}\n"},
        RENDER,
        2,
        r"people\.yaml:2: a number of more than 4,300 digits; quote it",
    ),
    "render: a 5,000-digit integer in message.yaml": Case(
        {
            "templates/m/message.yaml": "MessageConfiguration:\n  APNSMessage: {Badge: 1" + "0" * 5000 + "}\n",
            "audiences/people.yaml": AUDIENCE,
        },
        RENDER,
        2,
        r"message\.yaml:2: a number of more than 4,300 digits",
    ),
    "render: 10,000-deep JSON": Case(
        {"templates/m/message.yaml": message(), "audiences/people.jsonl": '{"id": "u-1", "n": ' + "[" * 10_000 + "]" * 10_000 + "}\n"},
        RENDER,
        2,
        r"people\.jsonl:1: the JSON is nested too deeply",
    ),
    "render: a lone surrogate in the data": Case(
        {"templates/m/message.yaml": message(), "audiences/people.jsonl": '{"id": "u-1", "first_name": "\\ud800"}\n'},
        RENDER,
        2,
        r"people\.jsonl:1: a lone surrogate \(U\+D800\) in the data",
    ),
    "lint: a lone surrogate in the data": Case(
        {"templates/m/message.yaml": message(), "audiences/people.jsonl": '{"id": "u-1", "first_name": "\\ud800"}\n'},
        LINT,
        1,
        shows=r"error audience-invalid: a lone surrogate \(U\+D800\) in the data",
    ),
    "render: a lone surrogate a template makes": Case(
        {"templates/m/message.yaml": message("{{ '%c' % 55296 }}"), "audiences/people.yaml": AUDIENCE},
        RENDER,
        2,
        r"message\.yaml:4: a lone surrogate \(U\+D800\) in the rendered text \(user 'u-1', field "
        r"PerUser\.Substitutions\.Name\)",
    ),
    "lint: a lone surrogate a template makes": Case(
        {"templates/m/message.yaml": message("{{ '%c' % 55296 }}"), "audiences/people.yaml": AUDIENCE},
        LINT,
        1,
        shows=r"error render-failed: a lone surrogate \(U\+D800\) in the rendered text",
    ),
    "render: a full disk": Case(
        {"templates/m/message.yaml": message(), "audiences/people.yaml": AUDIENCE},
        ["render", "m", "people", "--app-id", "app-1", "-o", "/dev/full"],
        3,
        r"/dev/full: cannot write the output: No space left on device; free some disk space",
    ),
    "send: a full disk under the journal": Case(
        # Names that do not compress: the journal packs what it stores, and must still be
        # the first to meet the full disk (while the run is recorded, before any send).
        {"templates/m/message.yaml": message(), "audiences/people.jsonl": "".join(
            json.dumps({"id": f"u-{n}", "first_name": _incompressible(n)}) + "\n"
            for n in range(3000)
        )},
        ["send", "m", "people", "--app-id", "app-1", "--sandbox", "--root", "{root}"],
        3,
        r"(cannot be written|cannot write the sandbox store): disk I/O error",
        machine_limit=200_000,
    ),
    "render: a read-only output folder": Case(
        {"templates/m/message.yaml": message(), "audiences/people.yaml": AUDIENCE},
        ["render", "m", "people", "--app-id", "app-1", "-o", "{readonly}"],
        3,
        r"cannot write the output: Permission denied; write where you may",
        setup=_read_only_folder,
    ),
    "runs: a damaged journal": Case(
        {}, ["runs", "--journal", "{journal}"], 3,
        r"journal\.sqlite is damaged or not a pipeline journal \(KeyError: 'no-such-state'\)",
        setup=_damaged_journal,
    ),
    "report: a damaged journal": Case(
        {}, ["report", "--journal", "{journal}"], 3,
        r"journal\.sqlite is damaged or not a pipeline journal",
        setup=_damaged_journal,
    ),
    "report: a file that is no journal": Case(
        {}, ["report", "--journal", "{journal}"], 3,
        r"cannot open the journal .*journal\.sqlite: file is not a database",
        setup=_garbage_journal,
    ),
    "render: a broken ~/.aws/config and a credential_process printing non-JSON": Case(
        {"templates/m/message.yaml": message(), "audiences/people.yaml": AUDIENCE},
        RENDER_STDOUT,
        0,
        env=_aws_env("{root}"),
        setup=_broken_aws_config,
        check=_check_offline,
    ),
    "lint: a broken ~/.aws/config and a credential_process printing non-JSON": Case(
        {"templates/m/message.yaml": message(), "audiences/people.yaml": AUDIENCE},
        LINT,
        0,
        env=_aws_env("{root}"),
        setup=_broken_aws_config,
        check=_check_offline,
    ),
    "render: a null PerUser field": Case(
        {
            "templates/m/message.yaml": "MessageConfiguration: {SMSMessage: {}}\nPerUser:\n  Substitutions: {A: }\n",
            "audiences/people.yaml": AUDIENCE,
        },
        RENDER,
        2,
        r"message\.yaml:3: A has no value \(field PerUser\.Substitutions\.A\); give it a value",
    ),
    # 5. Silently wrong no more.
    "render: a template file saved with a byte-order mark": Case(
        {
            "templates/m/message.yaml": OVERRIDE,
            "templates/m/body.j2": "\ufeffHi {{ user.first_name }}".encode(),
            "audiences/people.yaml": AUDIENCE,
        },
        RENDER_STDOUT,
        0,
        check=_rendered_body("Hi Ana"),
    ),
    "render: an undefined value inside a list": Case(
        {"templates/m/message.yaml": message("{{ [user.missing] }}"), "audiences/people.yaml": AUDIENCE},
        RENDER,
        2,
        r"undefined value: no key or attribute 'missing' \(user 'u-1', field PerUser\.Substitutions\.Name\)",
    ),
    "render: a NUL byte in CSV": Case(
        {"templates/m/message.yaml": message(), "audiences/people.csv": b"id,first_name\nu-1,An\x00a\n"},
        RENDER,
        2,
        r"people\.csv:2: a NUL character \(U\+0000\) in the data; remove it",
    ),
    "render: a NUL in JSON Lines": Case(
        {"templates/m/message.yaml": message(), "audiences/people.jsonl": b'{"id": "u-0", "first_name": "Bo"}\n{"id": "u-1", "first_name": "An\\u0000a"}\n'},
        RENDER,
        2,
        r"people\.jsonl:2: a NUL character \(U\+0000\) in the data; remove it",
    ),
    "render: SMSMessage: with no value": Case(
        {"templates/m/message.yaml": "MessageConfiguration:\n  SMSMessage:\n", "audiences/people.yaml": AUDIENCE},
        RENDER,
        2,
        r"message\.yaml:2: SMSMessage has no value",
    ),
    "render: a merge key with an overriding key": Case(
        {
            "templates/m/message.yaml": "vars:\n  base: &base {greeting: Hello, sign: Bye}\n"
            "  copy:\n    <<: *base\n    greeting: Hi\n" + OVERRIDE,
            "templates/m/body.j2": "{{ vars.copy.greeting }} {{ user.first_name }}, {{ vars.copy.sign }}",
            "audiences/people.yaml": AUDIENCE,
        },
        RENDER_STDOUT,
        0,
        check=_rendered_body("Hi Ana, Bye"),
    ),
    # 6. No secret of a URL shown or stored.
    "send: --endpoint-url with user information": Case(
        {"templates/m/message.yaml": message(), "audiences/people.yaml": AUDIENCE},
        ["send", "m", "people", "--app-id", "app-1", "--endpoint-url", "{url}", "--region", "us-east-1"],
        0,
        env={**DUMMY_AWS_ENV, "AWS_CONFIG_FILE": "/nonexistent", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent"},
        setup=_sandbox,
        check=_check_no_secret_stored,
    ),
}


def _fill(text: str, values: dict[str, str]) -> str:
    for name, value in values.items():
        text = text.replace("{" + name + "}", value)
    return text


@dataclass
class Finished:
    """What a command run as its own process left: as ``run_cli``'s result reads."""

    exit_code: int
    stdout: str
    stderr: str
    exception: None = None


def _run_limited(args: list[str], root: Path, env: dict[str, str], limit: int) -> Finished:
    """Run the command as its own process, whose files cannot grow past ``limit`` bytes."""

    def limited() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past it fails (EFBIG) instead
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    done = subprocess.run(
        [sys.executable, "-m", "pipeline", *args],
        cwd=root,
        env={**os.environ, **env},
        preexec_fn=limited,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    return Finished(done.returncode, done.stdout, done.stderr)


# The commands that take --root; the project is the test's unless the row names one.
ROOTED = {"render", "lint", "send", "diff", "preview"}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_hostile_input_ends_in_one_clear_line(tmp_path, monkeypatch, case):
    root = tmp_path / "project"
    root.mkdir()
    build_tree(root, case.files)
    with ExitStack() as stack:
        values = {"root": str(root)}
        if case.setup is not None:
            values |= case.setup(root, stack)
        args = [_fill(arg, values) for arg in case.args]
        env = {name: _fill(value, values) for name, value in case.env.items()}
        monkeypatch.chdir(values.get("project", str(root)))
        if args[0] in ROOTED and "--root" not in args:
            args += ["--root", str(root)]
        if case.machine_limit is not None:
            result = _run_limited(args, root, env, case.machine_limit)
        else:
            result = run_cli(args, env=env)

        output = result.stdout + result.stderr
        assert result.exit_code == case.exit_code, output
        assert "Traceback" not in output
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
        errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
        if case.error is None:
            assert errors == [], output
        else:
            assert len(errors) == 1, output
            assert re.search(case.error, errors[0]), errors[0]
        if case.shows is not None:
            assert re.search(case.shows, result.stdout), result.stdout
        assert SECRET not in output
        assert not (root / "out.jsonl").exists()  # no partial file
        assert not [p for p in root.iterdir() if p.name.startswith(".render-")]
        if case.check is not None:
            case.check(root, result)

