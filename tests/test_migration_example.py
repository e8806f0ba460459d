"""The migration guide's example, run as written: a stack ``check`` and the policy pack accept,
and every by-product lands where git never commits it.

The commands are read from docs/migrate.md (steps 1 and 2), so the guide cannot drift from
what works. The old values are Up2U's own 0.9 file (tests/values_files/chart-0.9-up2u.yaml).
"""

import importlib.util
import re
import shlex
import shutil
import subprocess

import pytest

from tests.conftest import ROOT
from tests.importer_helpers import call, stack_values
from up2u_jupyter.render import offline_values
from up2u_jupyter.settings import load_settings

GUIDE = ROOT / "docs" / "migrate.md"
OLD = ROOT / "tests" / "values_files" / "chart-0.9-up2u.yaml"


def _block(step: str) -> str:
    """The first shell block after the guide's step heading."""
    text = GUIDE.read_text()
    start = text.index(f"**{step}")
    return text[
        text.index("```sh\n", start) + 6 : text.index("```", text.index("```sh\n", start) + 6)
    ]


def _import_command() -> list[str]:
    lines = _block("2. Convert the values").splitlines()
    joined = " ".join(line.split("#")[0].rstrip(" \\") for line in lines)
    argv = shlex.split(joined)
    assert argv[:3] == ["python", "-m", "up2u_jupyter"]
    return argv[3:]


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """A clone-like project, the working folder as in the guide: git, the project's
    .gitignore and Pulumi.yaml."""
    monkeypatch.chdir(tmp_path)
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    shutil.copy(ROOT / ".gitignore", tmp_path / ".gitignore")
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    return tmp_path


def test_step_1_puts_every_by_product_where_git_ignores_it(repo):
    targets = re.findall(r"\s>\s+(\S+)", _block("1. Save what you have"))
    assert len(targets) == 3  # the old values, the PVC list, the database backup
    for target in targets:
        path = repo / target
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x")
        ignored = subprocess.run(["git", "-C", str(repo), "check-ignore", "-q", str(path)])
        assert ignored.returncode == 0, f"{target} would be committed"


def test_the_guides_import_yields_a_stack_check_and_the_policy_pack_accept(repo):
    argv = _import_command()
    old = repo / argv[1]
    old.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(OLD, old)
    code, _, err = call(*argv, "--project-dir", repo)
    assert code == 0, err
    written = (repo / "Pulumi.prod.yaml").read_text()
    assert "kubernetes:context: up2u-prod" in written
    assert call("check", "--stack", "prod", "--project-dir", repo)[0] == 0
    settings = load_settings(stack_values(repo, "prod"), "prod")
    assert settings.protect and settings.adopt
    policies = _policies()
    # the pack judges the release against the stack file committed beside it: here, the guide's
    policies.PROJECT_DIR = repo
    pulumi_policy = pytest.importorskip("pulumi_policy")
    args = pulumi_policy.ResourceValidationArgs(
        resource_type=policies.RELEASE,
        props={"chart": "jupyterhub", "version": "4.4.0", "values": offline_values(settings)},
        urn="urn:pulumi:prod::up2u-jupyter::up2u:jupyter:JupyterHub$kubernetes:helm.sh/v3:Release::r",
        name="r",
        opts=pulumi_policy.PolicyResourceOptions(
            protect=settings.protect, ignore_changes=[], delete_before_replace=None, aliases=[],
            custom_timeouts=pulumi_policy.PolicyCustomTimeouts(0, 0, 0),
            additional_secret_outputs=[],
        ),
        provider=None,
        config=None,
    )  # fmt: skip
    found: list[str] = []
    for policy in policies.POLICIES:
        if policy.enforcement_level.value == "mandatory":
            policy.validate(args, lambda message, urn=None: found.append(message))
    assert found == []


def test_without_protect_and_context_the_guides_import_asks_for_both(repo):
    argv = [a for a in _import_command() if a not in ("--protect", "--context", "up2u-prod")]
    old = repo / argv[1]
    old.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(OLD, old)
    code, _, err = call(*argv, "--project-dir", repo)
    assert code == 1
    assert "protect: the policy pack protects stack prod" in err
    assert "kubernetes:context: the stack adopts a running release" in err


def _policies():
    pytest.importorskip("pulumi_policy")
    spec = importlib.util.spec_from_file_location("p", ROOT / "policy" / "up2u_policies.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
