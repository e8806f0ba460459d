"""A new config key is a change the tests walk you through.

Add a key, and these fail until it is done everywhere it must be: the reference
(tests/test_reference.py: a docstring under the field), this full config (it sets every user-server
key), the importer (a chart path the stack renders from a setting is converted back into that
setting when an old values file holds it, or listed below as not imported, with the reason), and
the preview (preview.plan.SINGLEUSER_LOCALLY says what the preview does with it).
"""

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from tests.conftest import EDUTEAMS
from tests.importer_helpers import import_values
from up2u_jupyter.preview.plan import SINGLEUSER_LOCALLY
from up2u_jupyter.render import offline_values
from up2u_jupyter.settings import Profile, Settings, Singleuser, load_settings

EVERY_USER_SERVER_KEY = {
    "domain": "jupyter.example.org",
    "auth": {"clientId": "c", **EDUTEAMS, "allowAll": True, "adminUsers": ["admin"]},
    "singleuser": {
        "image": {"name": "registry.example.org/jupyter/k8s-singleuser", "tag": "1.0"},
        "defaultUrl": "/lab/tree/start.ipynb",
        "cpu": {"limit": 2, "guarantee": 0.5},
        "memory": {"limit": "2Gi", "guarantee": "512Mi"},
        "storage": {"capacity": "5Gi", "storageClass": "fast"},
        "extraEnv": {"COURSE": "maths"},
    },
    "profiles": [
        {
            "slug": "gpu",
            "displayName": "GPU",
            "description": "for the ML course",
            "default": True,
            "image": {"name": "registry.example.org/jupyter/gpu", "tag": "1.0"},
            "cpu": {"limit": 4, "guarantee": 1},
            "memory": {"limit": "8Gi", "guarantee": "4Gi"},
            "extraEnv": {"CUDA": "1"},
            "groups": ["urn:geant:eduteams.org:service:up2u:group:ml#eduteams.org"],
            "collaboration": True,
        },
        {"slug": "standard", "displayName": "Standard"},  # one profile is for everyone
    ],
}
"""A config that sets every user-server key (``singleuser.*`` and ``profiles[].*``) to a value
other than its default: add a new key here."""

NOT_IMPORTED = {
    r"hub\.db\.pvc\.annotations\..*": "the program's own keep annotation, rendered anew",
    r"hub\.(services|loadRoles)\.health-check.*": "healthCheck's service, rendered anew",
    r"hub\.(extraEnv\.UP2U_FORGET_USER_TOKEN|extraConfig\.up2u-forget-user-service|loadRoles\."
    r"forget-user|templateVars\.dataProtection)": "dataProtection's own (forget-user's service, "
    "the admin page's notice), rendered anew",
    r"proxy\.chp\.resources": "empty: nothing to carry",
    r"hub\.annotations\.checksum/up2u-.*": "the stack's own restart checksums (restarts.py), "
    "computed at each deploy: carried to helmValues they would stop rotations restarting the hub",
    r"hub\.extraConfig\.up2u-classes": "the classes' spawn rules, rendered anew from the profiles",
    r"singleuser\.cloudMetadata\.blockWithIptables|"
    r"hub\.config\.KubeSpawner\.(pod|container)_security_context": (
        "the program's Pod Security values (hardening.py), rendered anew"
    ),
}
"""Chart paths the stack renders that an old values file's import does not turn back into the
setting, and why. Each must match at least one rendered path (no stale entries)."""


def model_keys(model: type[BaseModel], prefix: str = "") -> list[str]:
    keys = []
    for name, field in model.model_fields.items():
        key = f"{prefix}{field.alias or name}"
        keys.append(key)
        inner = field.annotation
        inner = next(
            (a for a in (inner, *getattr(inner, "__args__", ())) if isinstance(a, type)), None
        )
        if inner is not None and issubclass(inner, BaseModel):
            keys += model_keys(inner, f"{key}.")
    return keys


def config_keys(config: Any, prefix: str = "") -> set[str]:
    if isinstance(config, dict):
        found = set()
        for key, value in config.items():
            found.add(f"{prefix}{key}")
            found |= config_keys(value, f"{prefix}{key}.")
        return found
    return set()


@pytest.mark.parametrize(("model", "where"), [(Singleuser, "singleuser"), (Profile, "profiles")])
def test_the_full_config_sets_every_user_server_key(model, where):
    node = EVERY_USER_SERVER_KEY[where]
    present = config_keys(node[0] if isinstance(node, list) else node)
    missing = [key for key in model_keys(model) if key not in present]
    assert missing == [], f"set {where}.{missing[0]} in EVERY_USER_SERVER_KEY (this file)"


@pytest.fixture(scope="module")
def rendered() -> dict[str, Any]:
    return offline_values(load_settings(EVERY_USER_SERVER_KEY, "full"))


def test_every_rendered_path_is_imported_back_or_listed(rendered, tmp_path_factory):
    project = tmp_path_factory.mktemp("project")
    (project / "Pulumi.yaml").write_text((Path(__file__).parent.parent / "Pulumi.yaml").read_text())
    old = project / "old-values.yaml"
    old.write_text(yaml.safe_dump(rendered))
    code, _, report = import_values(project, old, "--from-chart", "4.4.0")
    assert code == 0, report
    not_converted = [
        line.split()[1]
        for line in report.splitlines()
        if line.split()[:1] in (["helmValues"], ["dropped"])
    ]
    unlisted = [
        path for path in not_converted if not any(re.fullmatch(p, path) for p in NOT_IMPORTED)
    ]
    assert unlisted == [], "convert these in the importer, or list them in NOT_IMPORTED"
    stale = [p for p in NOT_IMPORTED if not any(re.fullmatch(p, path) for path in not_converted)]
    assert stale == [], "these entries of NOT_IMPORTED are converted now: remove them"


def test_the_import_of_what_the_stack_renders_is_the_stack(rendered, tmp_path_factory):
    project = tmp_path_factory.mktemp("project")
    (project / "Pulumi.yaml").write_text((Path(__file__).parent.parent / "Pulumi.yaml").read_text())
    old = project / "old-values.yaml"
    old.write_text(yaml.safe_dump(rendered))
    assert import_values(project, old, "--from-chart", "4.4.0")[0] == 0
    from tests.importer_helpers import stack_values

    again = offline_values(load_settings(stack_values(project), "full"))
    # the imported stack deploys the same user servers (memory comes back as bytes)
    assert again["singleuser"] == rendered["singleuser"]


def test_the_preview_decides_every_user_server_key(rendered):
    undecided = sorted(set(rendered["singleuser"]) - set(SINGLEUSER_LOCALLY))
    assert undecided == [], "say what the preview does with it in SINGLEUSER_LOCALLY"


def test_settings_is_still_the_model_walked_here():
    assert {"singleuser", "profiles"} <= set(Settings.model_fields)
