"""One run, all questions: answers settle questions, every problem shows at once, and a
migration writes what the policy pack and CI judge (protection, the cluster, no secret file
left where git would commit it)."""

import subprocess

import pytest

from tests.importer_helpers import import_values
from up2u_jupyter.credentials import PROTECTED_STACKS

NO_RULE = (
    "hub:\n  config:\n    JupyterHub: {authenticator_class: github}\n"
    "    GitHubOAuthenticator: {client_id: abc, oauth_callback_url: "
    "'https://hub.example.org/hub/oauth_callback'}\n"
)


@pytest.fixture
def old(tmp_path):
    path = tmp_path / "old.yaml"
    path.write_text(NO_RULE)
    return path


def _problems(err: str) -> list[str]:
    return [line.strip() for line in err.split("the imported config needs:\n", 1)[1].splitlines()]


def test_the_answer_a_question_suggests_is_accepted(project_dir, old):
    code, _, err = import_values(project_dir, old)
    assert code == 1 and "--set auth.allowAll=true" in err
    code, _, err = import_values(project_dir, old, "--set", "auth.allowAll=true")
    assert code == 0, err


def test_the_charts_refusals_come_in_the_same_run_as_the_questions(project_dir, old):
    code, _, err = import_values(
        project_dir, old, "--set", "helmValues.hub.fsGid=1000", "--set", "https.mode=letsencrypt"
    )
    problems = _problems(err)
    assert code == 1
    assert any("--from-chart VERSION" in p for p in problems)  # the question
    assert any(p.startswith("up2u-jupyter:https.contactEmail:") for p in problems)  # settings
    assert any("values hub.fsGid (stack imported): chart 4.4.0 fails" in p for p in problems)


def test_a_protected_stack_asks_for_protect_and_the_cluster(project_dir, old):
    stack = PROTECTED_STACKS[0]
    args = ["--set", "auth.allowAll=true"]
    code, _, err = import_values(project_dir, old, *args, stack=stack)
    problems = _problems(err)
    assert any(p.startswith("protect: the policy pack protects stack") for p in problems)
    assert any(p.startswith("kubernetes:context:") for p in problems)
    code, _, err = import_values(
        project_dir, old, *args, "--protect", "--context", "up2u-prod", stack=stack
    )
    assert code == 0, err
    written = (project_dir / f"Pulumi.{stack}.yaml").read_text()
    assert "kubernetes:context: up2u-prod" in written
    assert "up2u-jupyter:protect: true" in written


def test_the_protected_stacks_are_the_policy_packs():
    import importlib.util

    from tests.conftest import ROOT

    spec = importlib.util.spec_from_file_location("p", ROOT / "policy" / "up2u_policies.py")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except ImportError:
        pytest.skip("pulumi_policy is not installed")
    # the pack's config schema offers the project's table as its default
    default = module.PROTECTED_STACKS_SCHEMA.properties["protectedStacks"]["default"]
    assert default == list(PROTECTED_STACKS) == ["prod"]


def test_an_old_file_git_would_commit_is_a_problem(tmp_path, old):
    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / "Pulumi.yaml").write_text("name: up2u-jupyter\n")
    (repo / ".gitignore").write_text("/migration/\n")
    loose = repo / "old-values.yaml"
    loose.write_text(NO_RULE)
    code, _, err = import_values(repo, loose, "--set", "auth.allowAll=true")
    assert code == 1 and "not in .gitignore; move it" in err
    (repo / "migration").mkdir()
    ignored = repo / "migration" / "old-values.yaml"
    ignored.write_text(NO_RULE)
    code, _, err = import_values(repo, ignored, "--set", "auth.allowAll=true")
    assert "not in .gitignore" not in err


def test_a_key_an_import_question_asks_for_is_not_asked_twice(project_dir, tmp_path):
    old = tmp_path / "old.yaml"
    old.write_text(
        "hub:\n  config:\n    JupyterHub: {authenticator_class: cilogon}\n"
        "    CILogonOAuthenticator: {oauth_callback_url: 'https://af.example.edu/hub/oauth_callback',"
        " allowed_idps: {'https://idp.example.edu': {allow_all: true}}}\n"
        "  extraEnv:\n    CILOGON_CLIENT_ID:\n"
        "      valueFrom: {secretKeyRef: {name: auth-secret, key: id}}\n"
    )
    code, _, err = import_values(project_dir, old, "--set", "namespace=af")
    problems = _problems(err)
    assert code == 1
    assert [p for p in problems if "auth.clientId" in p] == [
        "hub.extraEnv.CILOGON_CLIENT_ID: the old hub read its OAuth client id from the key id of "
        "the Secret auth-secret; set it with --set auth.clientId=VALUE (this shows it: kubectl -n "
        "af get secret auth-secret -o jsonpath='{.data.id}' | base64 -d)"
    ]
