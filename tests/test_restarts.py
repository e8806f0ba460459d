"""Rotation that takes effect: the hub's pod template carries keyed checksums of the Secrets it
reads at start, so a `pulumi up` after a rotation restarts it (under Pulumi mocks)."""

import hashlib
import json
import re

import pulumi
import pytest
import yaml

from tests.conftest import committed_settings, minimal_config
from tests.pulumi_harness import Mocks, fake_hex, start, stop, unwrap
from up2u_jupyter import restarts
from up2u_jupyter.component import JupyterHub, JupyterHubArgs
from up2u_jupyter.render import offline_values
from up2u_jupyter.restarts import (
    CREDENTIALS_ANNOTATION,
    DATA_PROTECTION_ANNOTATION,
    METRICS_ANNOTATION,
    keyed_checksum,
)
from up2u_jupyter.settings import load_settings

RELEASE = "kubernetes:helm.sh/v3:Release"
RANDOM = "random:index/randomBytes:RandomBytes"
OAUTH = "oauth-client-secret-before-rotation"
ROTATED = "oauth-client-secret-after-rotation"
MONITORED = minimal_config(monitoring={"enabled": True})


class RotatedMocks(Mocks):
    """The mock providers, with one RandomBytes replaced (``pulumi up --replace``)."""

    def __init__(self, replaced: str) -> None:
        super().__init__()
        self.replaced = replaced

    def new_resource(self, args):
        resource_id, outputs = super().new_resource(args)
        if args.name == self.replaced:
            outputs = {**outputs, "hex": pulumi.Output.secret(fake_hex(f"{args.name}-new"))}
        return resource_id, outputs


def deployed(config=MONITORED, oauth=OAUTH, mocks=None, secret_env=None):
    """Deploy under fresh mocks; (the release's plain inputs, its secret paths, the randoms)."""
    harness = start(mocks)
    try:
        settings = load_settings(config, "test")
        harness.run(
            lambda: JupyterHub(
                "up2u",
                JupyterHubArgs(
                    settings,
                    secrets={"oauthClientSecret": oauth},
                    secret_env=secret_env or {},
                ),
            )
        )
        inputs, secret_paths = unwrap(harness.one(RELEASE).inputs)
        randoms = [r.name for r in harness.registered(RANDOM)]
    finally:
        stop(harness)
    return inputs, secret_paths, randoms


def annotations(config=MONITORED, **kwargs):
    return deployed(config, **kwargs)[0]["values"]["hub"]["annotations"]


def test_the_hub_pod_carries_a_keyed_checksum_of_each_secret_it_reads():
    key = fake_hex("up2u-checksum-key")
    assert annotations() == {
        CREDENTIALS_ANNOTATION: keyed_checksum(key, {"oauth-client-secret": OAUTH}),
        METRICS_ANNOTATION: keyed_checksum(key, {"token": fake_hex("up2u-metrics-token")}),
        DATA_PROTECTION_ANNOTATION: keyed_checksum(
            key, {"forget-user-token": fake_hex("up2u-forget-user-token")}
        ),
    }


def test_rotating_the_oauth_secret_changes_its_annotation_only():
    before, after = annotations(oauth=OAUTH), annotations(oauth=ROTATED)
    assert before[CREDENTIALS_ANNOTATION] != after[CREDENTIALS_ANNOTATION]
    assert before[METRICS_ANNOTATION] == after[METRICS_ANNOTATION]


def test_a_new_secret_env_entry_changes_the_credentials_annotation():
    before = annotations(secret_env={"API_KEY": "one"})
    after = annotations(secret_env={"API_KEY": "two"})
    assert before[CREDENTIALS_ANNOTATION] != after[CREDENTIALS_ANNOTATION]


def test_a_replaced_metrics_token_changes_its_annotation_only():
    before = annotations()
    after = annotations(mocks=RotatedMocks("up2u-metrics-token"))
    assert before[METRICS_ANNOTATION] != after[METRICS_ANNOTATION]
    assert before[CREDENTIALS_ANNOTATION] == after[CREDENTIALS_ANNOTATION]


def test_a_replaced_forget_user_token_changes_its_annotation_only():
    # the hub registers forget-user with the token it read at start: it must restart to
    # accept the new one that the stack output forgetUserToken now gives the operator
    before = annotations()
    after = annotations(mocks=RotatedMocks("up2u-forget-user-token"))
    assert before[DATA_PROTECTION_ANNOTATION] != after[DATA_PROTECTION_ANNOTATION]
    assert before[CREDENTIALS_ANNOTATION] == after[CREDENTIALS_ANNOTATION]
    assert before[METRICS_ANNOTATION] == after[METRICS_ANNOTATION]


def test_an_update_that_changes_no_secret_keeps_the_annotations():
    # the same data and key give the same annotations: no restart for nothing
    assert annotations() == annotations()


def test_no_secret_value_is_in_the_annotations_and_the_values_stay_secret():
    inputs, secret_paths, _ = deployed()
    assert "values" in secret_paths
    text = json.dumps(inputs)
    tokens = ("up2u-metrics-token", "up2u-checksum-key", "up2u-forget-user-token")
    for secret in (OAUTH, *(fake_hex(name) for name in tokens)):
        assert secret not in text
    unkeyed = hashlib.sha256(OAUTH.encode()).hexdigest()
    assert unkeyed not in text  # a plain hash of a password would let guesses be tested


def test_without_the_key_the_checksum_says_nothing_of_the_data():
    data = {"db-password": "hunter2"}
    message = json.dumps(data, sort_keys=True, separators=(",", ":")).encode()
    assert keyed_checksum("a" * 64, data) != keyed_checksum("b" * 64, data)
    assert keyed_checksum("a" * 64, data) != hashlib.sha256(message).hexdigest()
    assert keyed_checksum("a" * 64, data) == keyed_checksum("a" * 64, dict(reversed(data.items())))


def test_a_stack_without_operator_secrets_still_restarts_for_forget_users_token():
    config = minimal_config(auth={"type": "tmp", "allowAll": True})
    inputs, _, randoms = deployed(config)
    assert list(inputs["values"]["hub"]["annotations"]) == [DATA_PROTECTION_ANNOTATION]
    assert "up2u-checksum-key" in randoms


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_offline_values_show_where_the_checksums_go(stack, chart_schema, chart_defaults):
    from up2u_jupyter.chart import coalesce
    from up2u_jupyter.chart.schema import problems

    values = offline_values(committed_settings(stack))
    expected = [CREDENTIALS_ANNOTATION] + ([METRICS_ANNOTATION] if stack == "prod" else [])
    expected.append(DATA_PROTECTION_ANNOTATION)
    assert values["hub"]["annotations"] == dict.fromkeys(expected, restarts.OFFLINE)
    assert problems(coalesce(chart_defaults, values), chart_schema) == []


def test_an_import_of_deployed_values_drops_the_annotations(project_dir):
    from tests.importer_helpers import import_values, stack_values

    # helm get values of an Up2U stack: the annotations hold real keyed hashes
    values = offline_values(committed_settings("prod"))
    values["hub"]["annotations"] = {name: "0" * 64 for name in restarts.ANNOTATIONS}
    old = project_dir / "deployed.yaml"
    old.write_text(yaml.safe_dump(values))
    code, _, report = import_values(project_dir, old, "--from-chart", "4.4.0")
    assert code == 0, report
    assert "annotations" not in stack_values(project_dir).get("helmValues", {}).get("hub", {})
    for name in restarts.ANNOTATIONS:
        line = (
            rf"dropped +hub\.annotations\.{re.escape(name)} +the stack computes it at each deploy"
        )
        assert re.search(line, report), report
