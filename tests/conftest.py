"""Shared fixtures: the project's paths, the chart's reference data, and config builders."""

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from up2u_jupyter import chart
from up2u_jupyter.chart import files as chartfiles
from up2u_jupyter.dotted import set_path

ROOT = Path(__file__).resolve().parent.parent
CHART_DIR = chartfiles.chart_dir(chart.VERSION) or chartfiles.shared_dirs(chart.VERSION)[0]
"""The chart's files (../shared/z2jh/<version>/, or the cache `make chart` fills)."""

EDUTEAMS = {
    "authorizeUrl": "https://proxy.eduteams.org/saml2sp/OIDC/authorization",
    "tokenUrl": "https://proxy.eduteams.org/OIDC/token",
    "userdataUrl": "https://proxy.eduteams.org/OIDC/userinfo",
}


def minimal_config(**overrides: Any) -> dict[str, Any]:
    """The smallest valid project config (no prefix), with top-level keys replaced."""
    config: dict[str, Any] = {
        "domain": "jupyter.example.org",
        "auth": {"clientId": "up2u-test", **EDUTEAMS, "allowAll": True},
    }
    config.update(copy.deepcopy(overrides))
    return config


def with_path(config: dict[str, Any], dotted: str, value: Any) -> dict[str, Any]:
    """A copy of ``config`` with one nested key (``a.b.c``) set."""
    result = copy.deepcopy(config)
    set_path(result, dotted, value)
    return result


def committed_settings(stack: str, **overrides: dict[str, Any]) -> Any:
    """A committed stack's validated settings, top-level objects shallow-updated by overrides."""
    from up2u_jupyter.settings import load_settings
    from up2u_jupyter.stackfile import read_stack_config

    values = read_stack_config(ROOT, stack).values
    for key, value in overrides.items():
        values[key] = {**values.get(key, {}), **value}
    return load_settings(values, stack)


def chart_file(name: str) -> Path:
    """One of the chart's files; without it a skip, or under CI=true a failure."""
    path = CHART_DIR / name
    if not path.is_file():
        message = f"chart {chart.VERSION}'s {name} not found at {path}; run `make chart`"
        if chartfiles.ci():
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def chart_schema() -> dict[str, Any]:
    """The chart's values schema (skips without it; fails under CI=true)."""
    return json.loads(chart_file("values.schema.json").read_text())


@pytest.fixture(scope="session")
def chart_defaults() -> dict[str, Any]:
    """The chart's default values.yaml (skips without it; fails under CI=true)."""
    return yaml.safe_load(chart_file("values.yaml").read_text())


@pytest.fixture
def harness_stack() -> str:
    """The stack the Pulumi harness runs as (a test module overrides it, e.g. with prod)."""
    return "test"


@pytest.fixture
def harness(harness_stack: str) -> Iterator[Any]:
    """The Pulumi mock harness (tests/pulumi_harness.py), fresh for each test."""
    from tests.pulumi_harness import start, stop

    started = start(stack=harness_stack)
    yield started
    stop(started)


@pytest.fixture
def project_dir(tmp_path: Path) -> Path:
    """An empty project folder with the real Pulumi.yaml, to write stack files into."""
    (tmp_path / "Pulumi.yaml").write_text((ROOT / "Pulumi.yaml").read_text())
    return tmp_path


def write_stack(project_dir: Path, stack: str, config: dict[str, Any], **extra: Any) -> Path:
    """Write Pulumi.<stack>.yaml with every key under the project namespace."""
    items = {f"up2u-jupyter:{key}": value for key, value in config.items()}
    items.update(extra)
    path = project_dir / f"Pulumi.{stack}.yaml"
    path.write_text(yaml.safe_dump({"config": items}, sort_keys=False))
    return path


def dev_class_profiles(raw: dict[str, Any]) -> list[dict[str, Any]]:
    """Profiles for the dev stack's class (a raw dev config): one for everyone, one for the
    class with collaboration on. The committed stack has none, so that its other users land in
    JupyterLab without a form; the classes' browser suite and burst benchmark add these."""
    (classroom,) = raw["classes"]
    return [
        {"slug": "standard", "displayName": "Standard", "default": True,
         "description": "Python with the usual scientific libraries"},
        {"slug": "maths-3a", "displayName": "Maths 3A", "extraEnv": {"COURSE": "maths-3a"},
         "description": "The maths class's environment, edited together in real time",
         "groups": [classroom["pupils"], classroom["teachers"]], "collaboration": True},
    ]  # fmt: skip
