"""Templates read without rendering: syntax errors, missing includes, sub() in included files."""

from pathlib import Path

from tests.review.support import GOOD, lint, only


def test_template_syntax_in_a_field_and_in_an_included_file(tmp_path):
    message = """
        MessageConfiguration:
          SMSMessage: {Body: "{{ sub('Name') }"}
          APNSMessage: {Body: "{% include 'm/push.j2' %}"}
        PerUser:
          Substitutions: {Name: "{{ user.first_name }}"}
    """
    findings = only(
        lint(tmp_path, message, **{"templates/m/push.j2": "ok\n{% if %}\n"}), "template-syntax"
    )
    assert [(Path(f.file).name, f.line, f.severity) for f in findings] == [
        ("message.yaml", 2, "error"),
        ("push.j2", 2, "error"),
    ]
    assert "unexpected '}'" in findings[0].message


def test_template_not_found_names_the_include(tmp_path):
    message = GOOD.replace("hi", "hi {% include 'm/footer.j2' %}")
    [finding] = only(lint(tmp_path, message), "template-not-found")
    assert finding.message.startswith("template not found: m/footer.j2")
    assert finding.line == 2
    assert lint(tmp_path, message, **{"templates/m/footer.j2": "bye"}) == []


def test_sub_undeclared_in_an_included_file(tmp_path):
    message = GOOD.replace("hi", "{% include 'm/body.j2' %}")
    findings = lint(tmp_path, message, **{"templates/m/body.j2": "line one\n{{ sub('Other') }}"})
    [finding] = only(findings, "sub-undeclared")
    assert (Path(finding.file).name, finding.line) == ("body.j2", 2)
