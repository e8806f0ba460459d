"""The GitHub workflows run the same commands a person runs: make targets, nothing YAML-only."""

import re
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
ACTIONS = sorted((ROOT / ".github" / "actions").glob("*/action.yml"))
# plumbing that only moves data between GitHub and the make targets
PLUMBING = (
    re.compile(r'^gh pr comment "\$PR" --body-file values-diff\.md$'),
    re.compile(r'^echo "images=\$\(make -s image-matrix\)" >> "\$GITHUB_OUTPUT"$'),
    re.compile(r"^umask 077$"),
    re.compile(r"^mkdir -p ~/\.kube$"),
    re.compile(r"""^printf '%s\\n' "\$KUBECONFIG_CONTENT" > ~/\.kube/config$"""),
)


def steps(path: Path):
    document = yaml.safe_load(path.read_text())
    if "runs" in document:
        yield from document["runs"]["steps"]
        return
    for job in document["jobs"].values():
        yield from job.get("steps", [])


def make_targets() -> set[str]:
    text = (ROOT / "Makefile").read_text()
    return set(re.findall(r"^([a-z][\w-]*):", text, re.M))


@pytest.mark.parametrize("path", WORKFLOWS + ACTIONS, ids=lambda p: p.parent.name + "/" + p.name)
def test_every_run_line_is_a_make_target_or_plumbing(path):
    targets = make_targets()
    for step in steps(path):
        for line in filter(None, (raw.strip() for raw in str(step.get("run", "")).splitlines())):
            if line.startswith("make "):
                command = line.split(">", 1)[0]  # output redirection is plumbing
                used = [w for w in command.split()[1:] if not w.startswith("-") and "=" not in w]
                assert used and set(used) <= targets, line
            else:
                assert any(p.match(line) for p in PLUMBING), (
                    f"{path.name}: logic only in YAML: {line}"
                )


@pytest.mark.parametrize("path", WORKFLOWS + ACTIONS, ids=lambda p: p.name)
def test_every_action_is_pinned_by_commit_hash(path):
    for step in steps(path):
        uses = step.get("uses")
        if uses and not uses.startswith("./"):
            assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", uses), uses


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    assert "make test                # everything CI runs" in readme
    runs = [step.get("run") for step in steps(ROOT / ".github/workflows/ci.yml")]
    # the workflow runs .ci/run (system packages, then the README's command), as CI here does
    assert "make ci" in runs
    assert "\tbash .ci/run\n" in (ROOT / "Makefile").read_text()
    assert (ROOT / ".ci" / "run").read_text().rstrip().endswith("make test")


def test_preview_and_deploy_run_the_policy_pack():
    for name in ("preview.yml", "deploy.yml"):
        pulumi = [
            s
            for s in steps(ROOT / ".github/workflows" / name)
            if "pulumi/actions" in s.get("uses", "")
        ]
        assert pulumi and all(s["with"]["policyPacks"] == "policy" for s in pulumi), name


def test_prod_deploys_only_by_hand_from_main_through_its_environment():
    workflow = load("deploy.yml")
    triggers = workflow[True]  # YAML 1.1 reads the key "on" as true
    assert set(triggers) == {"push", "workflow_dispatch"}
    assert triggers["push"] == {"branches": ["main"]}
    assert set(triggers["workflow_dispatch"]["inputs"]["stack"]["options"]) == set(stacks())
    job = workflow["jobs"]["deploy"]
    # a push deploys dev; a dispatch the stack it names, in that stack's environment
    assert job["environment"] == "${{ github.event_name == 'push' && 'dev' || inputs.stack }}"
    assert not stacks()["dev"], "push deploys dev without approval: dev must be unprotected"
    assert job["if"] == "github.ref == 'refs/heads/main'"  # a dispatch may name any branch


def test_images_are_never_tagged_latest():
    text = (ROOT / ".github/workflows/images.yml").read_text()
    assert "flavor: latest=false" in text
    assert ":latest" not in text


# --- who gets which secret ----------------------------------------------------------------------

PROTECTED_ENVIRONMENTS = {"prod", "prod-preview"}
"""The GitHub environments with required reviewers (docs/operate.md says how to set them up):
only jobs in one of them ever see a protected stack's secrets, which are scoped to them."""
SECRETS = {
    ("ci.yml", "test"): (None, set()),
    ("preview.yml", "values-diff"): (None, {"GITHUB_TOKEN"}),
    ("preview.yml", "preview"): (
        "${{ matrix.environment }}",
        {"GITHUB_TOKEN", "KUBECONFIG", "PULUMI_ACCESS_TOKEN", "PULUMI_CONFIG_PASSPHRASE"},
    ),
    ("deploy.yml", "deploy"): (
        "${{ github.event_name == 'push' && 'dev' || inputs.stack }}",
        {"KUBECONFIG", "PULUMI_ACCESS_TOKEN", "PULUMI_CONFIG_PASSPHRASE"},
    ),
    ("images.yml", "list"): (None, set()),
    ("images.yml", "build"): ("registry", {"REGISTRY_USERNAME", "REGISTRY_PASSWORD"}),
}
"""Every job of every workflow -> (its environment, the secrets it reads). A new job or a new
secret changes this table on purpose."""
FORK_GUARD = "github.event.pull_request.head.repo.full_name == github.repository"


def load(name: str) -> dict:
    return yaml.safe_load((ROOT / ".github/workflows" / name).read_text())


def jobs():
    for path in WORKFLOWS:
        for job_id, job in yaml.safe_load(path.read_text())["jobs"].items():
            yield path.name, job_id, job


def secrets_read(job: dict) -> set[str]:
    return set(re.findall(r"secrets\.([A-Za-z_][A-Za-z0-9_]*)", yaml.safe_dump(job)))


def stacks() -> dict[str, bool]:
    """Each committed stack -> whether it is protected (``protect: true``)."""
    found = {}
    for path in ROOT.glob("Pulumi.*.yaml"):
        config = yaml.safe_load(path.read_text())["config"]
        found[path.name.split(".")[1]] = config.get("up2u-jupyter:protect", False) is True
    return found


def test_which_secrets_reach_which_job():
    seen = {
        (name, job_id): (job.get("environment"), secrets_read(job)) for name, job_id, job in jobs()
    }
    assert seen == SECRETS


def test_no_job_outside_an_environment_reads_a_secret_but_its_own_token():
    for name, job_id, job in jobs():
        if "environment" not in job:
            assert secrets_read(job) <= {"GITHUB_TOKEN"}, f"{name}: {job_id}"


def test_composite_actions_read_no_secret():
    for path in ACTIONS:
        assert "secrets." not in path.read_text(), path


def test_no_workflow_runs_pull_request_code_with_the_base_repositorys_rights():
    # pull_request_target and workflow_run run with the base repository's secrets and token
    # whatever the pull request's code does; pull_request gives forks neither
    for path in WORKFLOWS:
        triggers = yaml.safe_load(path.read_text())[True]
        assert not {"pull_request_target", "workflow_run"} & set(triggers), path.name


def test_pull_request_jobs_never_run_for_forks():
    for path in WORKFLOWS:
        workflow = yaml.safe_load(path.read_text())
        if "pull_request" not in workflow[True] or path.name == "ci.yml":
            continue  # ci.yml reads no secret and writes nothing: forks are tested too
        for job_id, job in workflow["jobs"].items():
            assert job.get("if") == FORK_GUARD, f"{path.name}: {job_id}"


def test_every_stack_previews_in_its_environment_protected_ones_only_behind_reviewers():
    matrix = load("preview.yml")["jobs"]["preview"]["strategy"]["matrix"]["include"]
    environments = {entry["stack"]: entry["environment"] for entry in matrix}
    assert set(environments) == set(stacks()) and len(matrix) == len(environments)
    for stack, protected in stacks().items():
        assert (environments[stack] in PROTECTED_ENVIRONMENTS) is protected, stack
    assert stacks()["prod"]  # the committed prod stack is protected, so previews behind review


def test_protected_environments_serve_only_a_reviewed_preview_or_mains_deploy():
    for name, job_id, job in jobs():
        environment = str(job.get("environment", ""))
        could_be_protected = environment in PROTECTED_ENVIRONMENTS or "${{" in environment
        if could_be_protected:
            assert (name, job_id) in {("preview.yml", "preview"), ("deploy.yml", "deploy")}


def test_workflows_grant_nothing_by_default_and_each_job_only_what_it_uses():
    for path in WORKFLOWS:
        workflow = yaml.safe_load(path.read_text())
        assert workflow["permissions"] == {}, path.name
        for job_id, job in workflow["jobs"].items():
            text = yaml.safe_dump(job)
            comments = "gh pr comment" in text or "comment-on-pr: true" in text
            expected = {"contents": "read"} | ({"pull-requests": "write"} if comments else {})
            assert job["permissions"] == expected, f"{path.name}: {job_id}"
