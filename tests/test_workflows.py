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


def test_prod_deploys_only_by_hand_through_its_environment():
    workflow = yaml.safe_load((ROOT / ".github/workflows/deploy.yml").read_text())
    triggers = workflow[True]  # YAML 1.1 reads the key "on" as true
    assert set(triggers) == {"push", "workflow_dispatch"}
    assert triggers["push"] == {"branches": ["main"]}
    job = workflow["jobs"]["deploy"]
    assert job["environment"] == "${{ github.event_name == 'push' && 'dev' || inputs.stack }}"


def test_images_are_never_tagged_latest():
    text = (ROOT / ".github/workflows/images.yml").read_text()
    assert "flavor: latest=false" in text
    assert ":latest" not in text
