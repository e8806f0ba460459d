"""The Pulumi program: stack config as the CLI passes it -> settings -> exports."""

import json

import pulumi
import pytest

from tests.conftest import minimal_config
from tests.pulumi_harness import LB_IP, fake_hex, unwrap
from up2u_jupyter import program


def credentials(harness):
    """The credentials Secret (the data-protection Secret is tests/test_pupildata_program.py's)."""
    found = [
        r for r in harness.registered("kubernetes:core/v1:Secret") if r.name == "up2u-credentials"
    ]
    assert len(found) == 1
    return found[0]


@pytest.fixture
def harness_stack():
    return "prod"


@pytest.fixture
def exports(monkeypatch):
    recorded = {}
    monkeypatch.setattr(pulumi, "export", lambda name, value: recorded.__setitem__(name, value))
    return recorded


def test_program_exports_the_documented_outputs_only_the_token_secret(harness, exports):
    harness.set_config(minimal_config(namespace="edu"), secrets={"oauthClientSecret": "s3cret"})
    harness.run(program.main)
    resolved = {name: harness.resolve(value) for name, value in exports.items()}
    assert resolved == {
        "namespace": ("edu", False),
        "releaseName": ("jhub", False),
        "chartVersion": ("4.4.0", False),
        "releaseStatus": ("deployed", False),
        "hubUrl": ("http://hub.edu.svc.cluster.local:8081/hub/", False),
        "proxyEndpoint": (LB_IP, False),
        "publicUrl": ("https://jupyter.example.org/", False),
        "oauthCallbackUrl": ("https://jupyter.example.org/hub/oauth_callback", False),
        "healthCheckToken": (fake_hex("up2u-health-token"), True),
        "forgetUserToken": (fake_hex("up2u-forget-user-token"), True),
    }


def test_config_objects_arrive_as_json_and_are_decoded(harness, exports):
    harness.set_config(
        minimal_config(hub={"activeServerLimit": 7}, protect=True, releaseName="123"),
        secrets={"oauthClientSecret": "s3cret"},
    )
    harness.run(program.main)
    release = harness.one("kubernetes:helm.sh/v3:Release")
    inputs = unwrap(release.inputs)[0]
    assert inputs["values"]["hub"]["activeServerLimit"] == 7
    assert inputs["name"] == "123"  # a string key stays a string even when it looks like JSON
    assert release.protect is True


def test_config_secret_reaches_the_credentials_secret_as_secret(harness, exports):
    harness.set_config(minimal_config(), secrets={"oauthClientSecret": "s3cret"})
    harness.run(program.main)
    inputs, secret_paths = unwrap(credentials(harness).inputs)
    assert inputs["stringData"] == {"oauth-client-secret": "s3cret"}
    assert "stringData" in secret_paths
    assert "s3cret" not in json.dumps(
        unwrap(harness.one("kubernetes:helm.sh/v3:Release").inputs)[0]
    )


def test_missing_required_secret_fails_naming_the_command(harness, exports):
    harness.set_config(minimal_config())
    with pytest.raises(pulumi.RunError) as caught:
        harness.run(program.main)
    assert str(caught.value) == (
        "up2u-jupyter:oauthClientSecret (stack prod): required secret not set; run: "
        "pulumi config set --secret up2u-jupyter:oauthClientSecret <value> --stack prod"
    )
    assert harness.monitor.registrations == [] and exports == {}


def test_invalid_config_fails_without_traceback_and_deploys_nothing(harness, exports):
    harness.set_config(
        minimal_config(cull={"timeout": 60, "every": 0}), secrets={"oauthClientSecret": "x"}
    )
    with pytest.raises(pulumi.RunError, match=r"^up2u-jupyter:cull.every \(stack prod\): 0"):
        harness.run(program.main)
    assert harness.monitor.registrations == []


def test_other_namespaces_are_ignored(harness, exports):
    harness.set_config(minimal_config(), secrets={"oauthClientSecret": "x"})
    pulumi.runtime.set_config("kubernetes:context", "up2u-prod")
    harness.run(program.main)
    assert exports["namespace"]


def test_config_from_the_environment_is_read_too(harness, exports, monkeypatch):
    items = {
        f"up2u-jupyter:{k}": json.dumps(v) if not isinstance(v, str) else v
        for k, v in minimal_config(namespace="fromenv").items()
    }
    items["up2u-jupyter:oauthClientSecret"] = "x"
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps(items))
    harness.run(program.main)
    assert harness.resolve(exports["namespace"]) == ("fromenv", False)


def test_secret_env_entries_reach_the_credentials_secret_and_the_hub_by_name_only(harness, exports):
    harness.set_config(
        minimal_config(),
        secrets={
            "oauthClientSecret": "s3cret",
            "secretEnv": json.dumps({"LDAP_BIND_PASSWORD": "CANARY-ldap", "API_KEY": "CANARY-api"}),
        },
    )
    harness.run(program.main)
    inputs, secret_paths = unwrap(credentials(harness).inputs)
    assert inputs["stringData"] == {
        "oauth-client-secret": "s3cret",
        "env-API_KEY": "CANARY-api",
        "env-LDAP_BIND_PASSWORD": "CANARY-ldap",
    }
    assert "stringData" in secret_paths
    values = unwrap(harness.one("kubernetes:helm.sh/v3:Release").inputs)[0]["values"]
    assert values["hub"]["extraEnv"]["LDAP_BIND_PASSWORD"] == {
        "valueFrom": {
            "secretKeyRef": {"name": "jhub-up2u-credentials", "key": "env-LDAP_BIND_PASSWORD"}
        }
    }
    assert "CANARY" not in json.dumps(values)
    assert not any("CANARY" in json.dumps(harness.resolve(v)[0]) for v in exports.values())


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ('{"limit": NaN}', "NaN is not a finite number"),
        ('{"limit": 1' + "0" * 5000 + "}", "an integer of 5001 digits is no count, size or port"),
        ('{"a": ' * 100 + "1" + "}" * 100, "nested deeper than 64 levels"),
        ("[" * 100_000 + "]" * 100_000, "nested deeper than 64 levels"),
    ],
    ids=["nan", "5000-digit-int", "100-levels", "100000-levels"],
)
def test_hostile_json_config_is_one_line_error_and_deploys_nothing(
    harness, exports, value, message
):
    harness.set_config(
        {**minimal_config(), "singleuser": value}, secrets={"oauthClientSecret": "x"}
    )
    with pytest.raises(pulumi.RunError) as caught:
        harness.run(program.main)
    assert str(caught.value) == f"up2u-jupyter:singleuser (stack prod): {message}; fix the value"
    assert harness.monitor.registrations == []


def test_secret_looking_helm_values_are_warned_about_by_key(harness, exports, monkeypatch):
    warned = []
    monkeypatch.setattr(pulumi.log, "warn", lambda message, *a, **k: warned.append(message))
    harness.set_config(
        minimal_config(helmValues={"hub": {"db": {"password": "CANARY-db"}}}),
        secrets={"oauthClientSecret": "x"},
    )
    harness.run(program.main)
    assert len(warned) == 1
    assert warned[0].startswith("up2u-jupyter:helmValues.hub.db.password (stack prod) looks like")
    assert "CANARY" not in warned[0]
