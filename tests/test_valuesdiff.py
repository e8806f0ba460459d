"""diff: a stack's rendered values at a git ref versus the working tree."""

import io
import shutil
import subprocess

import pytest
import yaml

from tests.conftest import ROOT, minimal_config, write_stack
from up2u_jupyter.cli import run


def git(repo, *args):
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path):
    """A git checkout of the project with one committed stack, dev."""
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path)
    shutil.copytree(ROOT / "up2u_jupyter", tmp_path / "up2u_jupyter",
                    ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
    write_stack(tmp_path, "dev", minimal_config(hub={"activeServerLimit": 10}))
    git(tmp_path, "init", "-q")
    git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@example.org", "add", "-A")
    git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qm", "base")
    return tmp_path


def call(repo, *argv):
    out, err = io.StringIO(), io.StringIO()
    code = run(["diff", "--project-dir", str(repo), *argv], out, err)
    return code, out.getvalue(), err.getvalue()


def test_a_changed_setting_shows_as_a_unified_diff(repo):
    write_stack(repo, "dev", minimal_config(hub={"activeServerLimit": 20}))
    code, out, _ = call(repo, "--stack", "dev", "--base", "HEAD")
    assert code == 0
    assert out.startswith("--- dev values at HEAD\n+++ dev values in the working tree\n")
    changed = [line for line in out.splitlines() if line[:1] in "+-" and line[:3] not in "---+++"]
    assert changed == ["-  activeServerLimit: 10", "+  activeServerLimit: 20"]


def test_no_change_says_so(repo):
    assert call(repo, "--stack", "dev", "--base", "HEAD")[1] == (
        "no change to the values of stack dev since HEAD\n"
    )


def test_a_new_stack_diffs_against_nothing_with_a_note(repo):
    write_stack(repo, "prod", minimal_config())
    code, out, err = call(repo, "--stack", "prod", "--base", "HEAD")
    assert code == 0
    assert "HEAD has no Pulumi.prod.yaml (the stack is new)" in err
    assert all(line.startswith("+") for line in out.splitlines()[3:])


def test_markdown_is_a_pull_request_comment(repo):
    write_stack(repo, "dev", minimal_config(hub={"activeServerLimit": 20}))
    out = call(repo, "--stack", "dev", "--base", "HEAD", "--markdown")[1]
    assert out.startswith("### Helm values of stack `dev`: `HEAD` -> this change\n")
    assert "```diff\n--- dev values at HEAD" in out
    assert "+  activeServerLimit: 20" in out
    assert "safe to publish" in out


def test_secrets_stay_placeholders_on_both_sides(repo):
    write_stack(repo, "dev", minimal_config(), **{"up2u-jupyter:oauthClientSecret": "leak-me-not"})
    out = call(repo, "--stack", "dev", "--base", "HEAD")[1]
    assert "leak-me-not" not in out


def test_the_base_side_is_rendered_by_the_base_code(repo):
    # the base commit's values builder differs from the running one: its own output is used
    values_py = repo / "up2u_jupyter" / "values.py"
    old = '"every": settings.cull.every,'
    values_py.write_text(values_py.read_text().replace(old, '"every": settings.cull.every + 1,'))
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qam", "code")
    out = call(repo, "--stack", "dev", "--base", "HEAD")[1]
    assert "-  every: 601\n+  every: 600\n" in out


def test_unknown_ref_is_a_usage_error(repo):
    code, _, err = call(repo, "--stack", "dev", "--base", "no-such-ref")
    assert code == 2 and err == "error: 'no-such-ref' is not a git ref that names a commit\n"


def test_outside_git_is_a_usage_error(tmp_path):
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path)
    write_stack(tmp_path, "dev", minimal_config())
    code, _, err = call(tmp_path, "--stack", "dev", "--base", "HEAD")
    assert code == 2 and "is not in a git checkout" in err


def test_invalid_base_config_is_noted_not_fatal(repo):
    (repo / "Pulumi.dev.yaml").write_text(
        yaml.safe_dump({"config": {"up2u-jupyter:cull": {"every": 99999}}})
    )
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qam", "broken")
    write_stack(repo, "dev", minimal_config())
    code, _, err = call(repo, "--stack", "dev", "--base", "HEAD")
    assert code == 0 and "the stack's config at HEAD is invalid" in err


def test_values_output_is_sorted_for_stable_diffs():
    out = io.StringIO()
    assert run(["values", "--stack", "prod", "--project-dir", str(ROOT)], out, io.StringIO()) == 0
    top_level = [line.split(":")[0] for line in out.getvalue().splitlines() if line[:1].isalpha()]
    assert top_level == sorted(top_level)


def test_scrub_hides_what_an_older_renderer_printed_but_keeps_placeholders():
    from up2u_jupyter.render import HIDDEN, PLACEHOLDER
    from up2u_jupyter.valuesdiff import scrub

    old_output = yaml.safe_dump(
        {
            "hub": {
                "db": {"password": "CANARY-old", "url": "postgresql://u:CANARY-url@db/hub"},
                "cookieSecret": PLACEHOLDER,
            },
            "proxy": {"secretToken": PLACEHOLDER},
        }
    )
    scrubbed = yaml.safe_load(scrub(old_output))
    assert "CANARY" not in scrub(old_output)
    assert scrubbed["hub"]["db"] == {"password": HIDDEN, "url": HIDDEN}
    assert scrubbed["hub"]["cookieSecret"] == PLACEHOLDER
    assert scrubbed["proxy"]["secretToken"] == PLACEHOLDER


def test_a_base_commit_error_quoting_a_url_has_its_password_hidden():
    from up2u_jupyter.valuesdiff import redact_note

    note = "error: up2u-jupyter:hub.db.url (stack s): 'postgresql://hub:CANARY@db/hub?password=x'"
    assert "CANARY" not in redact_note(note) and "password=x" not in redact_note(note)
