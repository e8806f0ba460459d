"""Erasure's identities under Pulumi mocks: the forget-user token's Secret, and a ServiceAccount
whose Role reaches the namespace's volume claims and nothing else."""

import json

from tests.conftest import minimal_config
from tests.pulumi_harness import fake_hex, unwrap
from up2u_jupyter.component import JupyterHub, JupyterHubArgs
from up2u_jupyter.pupildata.helm import FORGET_TOKEN_ENV
from up2u_jupyter.settings import load_settings

SECRET = "kubernetes:core/v1:Secret"
ROLE = "kubernetes:rbac.authorization.k8s.io/v1:Role"
BINDING = "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding"
ACCOUNT = "kubernetes:core/v1:ServiceAccount"
RELEASE = "kubernetes:helm.sh/v3:Release"
UP2U_HUB = {"image": {"name": "registry.example.org/jupyter/k8s-hub", "tag": "1.0"}}


def deploy(harness, **config):
    settings = load_settings(minimal_config(**config), "test")
    return harness.run(
        lambda: JupyterHub("up2u", JupyterHubArgs(settings, secrets={"oauthClientSecret": "s"}))
    )


def secret_named(harness, name):
    (found,) = [r for r in harness.registered(SECRET) if r.name == name]
    return found


def test_the_erasure_role_reaches_volume_claims_in_the_namespace_only(harness):
    deploy(harness, namespace="edu")
    role = unwrap(harness.one(ROLE).inputs)[0]
    assert role["metadata"] == {"name": "jhub-up2u-data-protection", "namespace": "edu"}
    assert role["rules"] == [
        {"apiGroups": [""], "resources": ["persistentvolumeclaims"],
         "verbs": ["get", "list", "delete"]}
    ]  # fmt: skip
    binding = unwrap(harness.one(BINDING).inputs)[0]
    assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role",
                                  "name": "jhub-up2u-data-protection"}  # fmt: skip
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": "jhub-up2u-data-protection", "namespace": "edu"}
    ]
    account = unwrap(harness.one(ACCOUNT).inputs)[0]
    assert account["automountServiceAccountToken"] is False


def test_the_forget_user_token_is_a_secret_the_hub_reads_by_reference(harness):
    hub = deploy(harness)
    inputs, secret_paths = unwrap(secret_named(harness, "up2u-data-protection").inputs)
    token = fake_hex("up2u-forget-user-token")
    assert inputs["stringData"] == {"forget-user-token": token}
    assert "stringData" in secret_paths
    release = harness.one(RELEASE)
    assert secret_named(harness, "up2u-data-protection").urn in release.dependencies
    values = unwrap(release.inputs)[0]["values"]
    assert values["hub"]["extraEnv"][FORGET_TOKEN_ENV]["valueFrom"]["secretKeyRef"] == {
        "name": "jhub-up2u-data-protection", "key": "forget-user-token"}  # fmt: skip
    assert token not in json.dumps(values)
    assert harness.resolve(hub.forget_user_token) == (token, True)


def test_retention_mounts_the_service_accounts_token_and_waits_for_it(harness):
    deploy(harness, hub=UP2U_HUB, dataProtection={"retention": "365d"})
    token = secret_named(harness, "up2u-data-protection-sa-token")
    inputs = unwrap(token.inputs)[0]
    assert inputs["type"] == "kubernetes.io/service-account-token"
    assert inputs["metadata"]["annotations"] == {
        "kubernetes.io/service-account.name": "jhub-up2u-data-protection"
    }
    assert harness.one(ACCOUNT).urn in token.dependencies
    release = harness.one(RELEASE)
    assert token.urn in release.dependencies
    hub = unwrap(release.inputs)[0]["values"]["hub"]
    assert hub["extraVolumes"] == [
        {
            "name": "up2u-data-protection",
            "secret": {"secretName": "jhub-up2u-data-protection-sa-token"},
        }
    ]
    assert hub["services"]["data-retention"]["command"][:3] == [
        "python3", "-m", "up2u_jupyter.pupildata.retention"]  # fmt: skip
    assert (
        "--kube-token-dir=/var/run/secrets/up2u-data-protection"
        in (hub["services"]["data-retention"]["command"])
    )
    assert hub["loadRoles"]["data-retention"]["scopes"] == [
        "list:users", "read:users", "read:servers", "admin:server_state", "delete:servers",
        "delete:users"]  # fmt: skip


def test_without_retention_there_is_no_token_secret_and_no_service(harness):
    deploy(harness)
    assert "up2u-data-protection-sa-token" not in [r.name for r in harness.registered(SECRET)]
    hub = unwrap(harness.one(RELEASE).inputs)[0]["values"]["hub"]
    assert "data-retention" not in hub.get("services", {})
    assert "extraVolumes" not in hub
