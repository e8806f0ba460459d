"""What survives: protection in protected stacks, the kept hub database, spawner-made volumes."""

import json

import pytest

from tests.conftest import ROOT
from tests.pulumi_harness import start, stop, unwrap
from up2u_jupyter import program
from up2u_jupyter.chart import coalesce
from up2u_jupyter.render import offline_values
from up2u_jupyter.settings import load_settings
from up2u_jupyter.stackfile import read_stack_config

NAMESPACE = "kubernetes:core/v1:Namespace"
RELEASE = "kubernetes:helm.sh/v3:Release"
OAUTH_SECRET = "prod-oauth-client-secret-0f9e"


def deploy_stack(stack, monkeypatch):
    harness = start(stack=stack)
    monkeypatch.setattr(program.pulumi, "export", lambda name, value: None)
    config = read_stack_config(ROOT, stack).values
    # prod backs its hub database up: the sidecar's access keys are secretEnv entries
    backup_keys = {"UP2U_BACKUP_S3_ACCESS_KEY_ID": "id", "UP2U_BACKUP_S3_SECRET_ACCESS_KEY": "k"}
    harness.set_config(
        config,
        secrets={"oauthClientSecret": OAUTH_SECRET, "secretEnv": json.dumps(backup_keys)},
    )
    harness.run(program.main)
    return harness


@pytest.mark.parametrize(("stack", "protected"), [("prod", True), ("dev", False)])
def test_release_and_namespace_protection_follows_the_stack(stack, protected, monkeypatch):
    harness = deploy_stack(stack, monkeypatch)
    try:
        assert harness.one(NAMESPACE).protect is protected
        assert harness.one(RELEASE).protect is protected
        # only those two: rotating a generated secret must stay possible
        others = [r for r in harness.monitor.registrations if r.type not in (NAMESPACE, RELEASE)]
        assert not any(r.protect for r in others)
    finally:
        stop(harness)


def prod_values(chart_defaults):
    settings = load_settings(read_stack_config(ROOT, "prod").values, "prod")
    return coalesce(chart_defaults, offline_values(settings))


def test_the_hub_database_volume_is_kept_when_the_release_is_uninstalled(chart_defaults):
    db = prod_values(chart_defaults)["hub"]["db"]
    assert db["type"] == "sqlite-pvc"  # the chart's hub-db-dir claim holds jupyterhub.sqlite
    assert db["pvc"]["annotations"]["helm.sh/resource-policy"] == "keep"


def test_user_volumes_are_made_by_the_spawner_not_by_helm(chart_defaults):
    storage = prod_values(chart_defaults)["singleuser"]["storage"]
    # dynamic: KubeSpawner creates claim-<user> when a user first starts a server; the chart
    # renders no user claims, so uninstalling the release cannot delete them
    assert storage["type"] == "dynamic"
    assert storage["static"]["pvcName"] is None
    assert storage["capacity"] == "10G"


def test_protected_state_cannot_be_turned_off_by_helm_values():
    # helmValues is merged last: check that prod does not override the keep annotation
    settings = load_settings(read_stack_config(ROOT, "prod").values, "prod")
    assert "hub" not in settings.helm_values


def test_no_secret_reaches_the_release_values_in_plain(monkeypatch):
    harness = deploy_stack("prod", monkeypatch)
    try:
        inputs, secret_paths = unwrap(harness.one(RELEASE).inputs)
        assert "values" in secret_paths  # encrypted in Pulumi state
        assert OAUTH_SECRET not in json.dumps(inputs)
    finally:
        stop(harness)
