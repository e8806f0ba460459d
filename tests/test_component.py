"""The JupyterHub component under Pulumi mocks: graph, parents, protection and secretness."""

import json

import pulumi
import pytest

from tests.conftest import minimal_config
from tests.pulumi_harness import CLUSTER_IP, LB_IP, Mocks, fake_hex, start, stop, unwrap
from up2u_jupyter.component import MAX_HISTORY, JupyterHub, JupyterHubArgs
from up2u_jupyter.settings import load_settings

NAMESPACE = "kubernetes:core/v1:Namespace"
SECRET = "kubernetes:core/v1:Secret"
RELEASE = "kubernetes:helm.sh/v3:Release"
SERVICE = "kubernetes:core/v1:Service"
RANDOM = "random:index/randomBytes:RandomBytes"
COMPONENT = "up2u:jupyter:JupyterHub"
OAUTH_SECRET = "oauth-client-secret-value-42"
DB_PASSWORD = "db-password-value-43"


def deploy(harness, config=None, oauth=OAUTH_SECRET, db=None):
    settings = load_settings(config or minimal_config(), "test")

    def program():
        return JupyterHub(
            "up2u",
            JupyterHubArgs(settings, secrets={"oauthClientSecret": oauth, "dbPassword": db}),
        )

    return harness.run(program)


DATA_PROTECTION = [RANDOM, SECRET, "kubernetes:core/v1:ServiceAccount",
                   "kubernetes:rbac.authorization.k8s.io/v1:Role",
                   "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding"]  # fmt: skip
"""forget-user's token and Secret, and the claims-only identity of erasure (test_pupildata)."""


def credentials(harness):
    """The credentials Secret (the data-protection Secret is tests/test_pupildata_program.py's)."""
    found = [r for r in harness.registered(SECRET) if r.name == "up2u-credentials"]
    assert len(found) == 1, [r.name for r in harness.registered(SECRET)]
    return found[0]


def test_resource_graph(harness):
    deploy(harness)
    types = sorted(r.type for r in harness.monitor.registrations)
    assert types == sorted(
        [COMPONENT, NAMESPACE, *[RANDOM] * 5, SECRET, RELEASE, SERVICE, *DATA_PROTECTION]
    )


def test_every_resource_is_a_child_of_the_component(harness):
    deploy(harness)
    component = harness.one(COMPONENT)
    children = [r for r in harness.monitor.registrations if r is not component]
    assert children and all(r.parent == component.urn for r in children)
    assert all(r.name.startswith("up2u-") for r in children)


def test_namespace_is_created_with_the_configured_name(harness):
    deploy(harness, minimal_config(namespace="edu"))
    assert harness.one(NAMESPACE).inputs["metadata"]["name"] == "edu"


def test_release_pins_chart_and_bounds_history(harness):
    deploy(harness, minimal_config(releaseName="up2u", chart={"version": "4.4.0"}))
    inputs = unwrap(harness.one(RELEASE).inputs)[0]
    assert inputs["name"] == "up2u"
    assert inputs["chart"] == "jupyterhub"
    assert inputs["version"] == "4.4.0"
    assert inputs["repositoryOpts"] == {"repo": "https://hub.jupyter.org/helm-chart/"}
    assert inputs["namespace"] == "jhub"
    assert inputs["cleanupOnFail"] is True
    assert inputs["maxHistory"] == MAX_HISTORY
    assert inputs["timeout"] > 300
    assert inputs["allowNullValues"] is True


def test_release_values_are_the_values_builders_output(harness):
    deploy(harness, minimal_config(hub={"activeServerLimit": 3}))
    values = unwrap(harness.one(RELEASE).inputs)[0]["values"]
    assert values["hub"]["activeServerLimit"] == 3
    assert values["hub"]["config"]["GenericOAuthenticator"]["client_id"] == "up2u-test"


@pytest.mark.parametrize("protect", [True, False])
def test_protect_guards_release_and_namespace_only(harness, protect):
    deploy(harness, minimal_config(protect=protect))
    assert harness.one(NAMESPACE).protect is protect
    assert harness.one(RELEASE).protect is protect
    assert not any(r.protect for r in harness.registered(RANDOM))
    assert credentials(harness).protect is False


def test_generated_chart_secrets_are_32_random_bytes(harness):
    deploy(harness)
    randoms = harness.registered(RANDOM)
    assert sorted(r.name for r in randoms) == [
        "up2u-checksum-key",  # keys the restart annotations (test_restarts)
        "up2u-cookie-secret",
        "up2u-crypt-key",
        "up2u-forget-user-token",
        "up2u-health-token",
        "up2u-proxy-token",
    ]
    assert all(r.inputs["length"] == 32 for r in randoms)


def test_generated_secrets_reach_the_values_as_secrets(harness):
    deploy(harness)
    inputs, secret_paths = unwrap(harness.one(RELEASE).inputs)
    assert "values" in secret_paths  # the engine encrypts the values in state
    values = inputs["values"]
    assert values["proxy"]["secretToken"] == fake_hex("up2u-proxy-token")
    assert values["hub"]["cookieSecret"] == fake_hex("up2u-cookie-secret")
    assert values["hub"]["config"]["CryptKeeper"]["keys"] == [fake_hex("up2u-crypt-key")]


def test_oauth_secret_is_never_in_release_values(harness):
    deploy(harness)
    release_inputs = json.dumps(unwrap(harness.one(RELEASE).inputs)[0])
    assert OAUTH_SECRET not in release_inputs


def test_oauth_secret_lives_in_a_secret_kubernetes_resource(harness):
    deploy(harness)
    secret = credentials(harness)
    inputs, secret_paths = unwrap(secret.inputs)
    assert inputs["metadata"] == {"name": "jhub-up2u-credentials", "namespace": "jhub"}
    assert inputs["stringData"] == {"oauth-client-secret": OAUTH_SECRET}
    assert "stringData" in secret_paths


def test_release_waits_for_the_credentials_secret(harness):
    deploy(harness)
    assert credentials(harness).urn in harness.one(RELEASE).dependencies


def test_postgres_password_goes_to_the_secret_not_the_values(harness):
    config = minimal_config(
        hub={"db": {"type": "postgres", "url": "postgresql+psycopg2://hub@db/hub"}}
    )
    deploy(harness, config, db=DB_PASSWORD)
    assert unwrap(credentials(harness).inputs)[0]["stringData"] == {
        "oauth-client-secret": OAUTH_SECRET,
        "db-password": DB_PASSWORD,
    }
    assert DB_PASSWORD not in json.dumps(unwrap(harness.one(RELEASE).inputs)[0])


def test_proxy_public_service_is_looked_up_in_the_release_namespace(harness):
    deploy(harness, minimal_config(namespace="edu"))
    assert harness.one(SERVICE).read_id == "edu/proxy-public"


def test_component_outputs(harness):
    hub = deploy(harness, minimal_config(namespace="edu", releaseName="up2u"))
    expected = {
        "namespace": "edu",
        "release_name": "up2u",
        "chart_version": "4.4.0",
        "release_status": "deployed",
        "hub_url": "http://hub.edu.svc.cluster.local:8081/hub/",
        "proxy_endpoint": LB_IP,
        "public_url": "https://jupyter.example.org/",
        "oauth_callback_url": "https://jupyter.example.org/hub/oauth_callback",
    }
    resolved = {name: harness.resolve(getattr(hub, name)) for name in expected}
    assert resolved == {name: (value, False) for name, value in expected.items()}


def test_no_output_carries_a_secret_value(harness):
    hub = deploy(harness)
    names = [
        "namespace",
        "release_name",
        "chart_version",
        "release_status",
        "hub_url",
        "proxy_endpoint",
        "public_url",
        "oauth_callback_url",
    ]
    texts = json.dumps([harness.resolve(getattr(hub, n))[0] for n in names])
    for secret in [
        OAUTH_SECRET,
        *(
            fake_hex(f"up2u-{p}")
            for p in ("proxy-token", "cookie-secret", "crypt-key", "health-token")
        ),
    ]:
        assert secret not in texts


def test_proxy_endpoint_falls_back_to_hostname_then_cluster_ip():
    for ingress, expected in (
        ([{"hostname": "lb.example.net"}], "lb.example.net"),
        ([], CLUSTER_IP),
    ):
        h = start(Mocks(lb_ingress=ingress))
        try:
            hub = deploy(h)
            assert h.resolve(hub.proxy_endpoint) == (expected, False)
        finally:
            stop(h)


def test_plain_http_stack_has_an_http_public_url(harness):
    hub = deploy(harness, minimal_config(https={"mode": "none"}))
    assert harness.resolve(hub.public_url) == ("http://jupyter.example.org/", False)


def test_missing_oauth_secret_creates_no_credentials_secret(harness):
    # the program refuses this earlier (see test_program); the component does not invent one
    deploy(harness, oauth=None)
    assert [r.name for r in harness.registered(SECRET)] == ["up2u-data-protection"]
    assert harness.one(RELEASE).dependencies  # still ordered after the namespace


def test_secret_input_from_config_stays_secret(harness):
    deploy(harness, oauth=pulumi.Output.secret(OAUTH_SECRET))
    _, secret_paths = unwrap(credentials(harness).inputs)
    assert "stringData" in secret_paths


def _shape(registration):
    """What a registration asks of the engine, apart from its import id."""
    return (
        registration.type,
        registration.name,
        json.dumps(unwrap(registration.inputs)[0], sort_keys=True, default=str),
        registration.protect,
        sorted(registration.dependencies),
    )


def test_adopt_imports_the_running_namespace_and_release_and_changes_nothing_else():
    shapes = {}
    for adopt in (False, True):
        h = start()
        try:
            deploy(h, minimal_config(namespace="jhub", releaseName="jhub", adopt=adopt))
            shapes[adopt] = sorted(_shape(r) for r in h.monitor.registrations)
            imports = {r.type: r.import_id for r in h.monitor.registrations if r.import_id}
        finally:
            stop(h)
    assert imports == {NAMESPACE: "jhub", RELEASE: "jhub/jhub"}
    # an import must match the namespace as it is, so the adopting deploy leaves its labels
    # alone; they come with the next deploy, once adopt is removed
    assert shapes[True] == [_without_labels(shape) for shape in shapes[False]]


def _without_labels(shape):
    kind, name, inputs, *rest = shape
    if kind != NAMESPACE:
        return shape
    document = json.loads(inputs)
    document["metadata"].pop("labels")
    return (kind, name, json.dumps(document, sort_keys=True), *rest)


def test_the_namespace_enforces_the_stacks_pod_security_level(harness):
    deploy(harness, minimal_config(podSecurity="baseline"))
    labels = unwrap(harness.one(NAMESPACE).inputs)[0]["metadata"]["labels"]
    assert labels == {
        "pod-security.kubernetes.io/enforce": "baseline",
        "pod-security.kubernetes.io/warn": "restricted",
        "pod-security.kubernetes.io/audit": "restricted",
    }


def test_without_adopt_nothing_is_imported(harness):
    deploy(harness)
    assert [r.import_id for r in harness.monitor.registrations if r.import_id] == []


def test_health_check_token_is_a_secret_output_and_a_hub_service(harness):
    hub = deploy(harness)
    assert harness.resolve(hub.health_check_token) == (fake_hex("up2u-health-token"), True)
    values = unwrap(harness.one(RELEASE).inputs)[0]["values"]
    assert values["hub"]["services"] == {
        "health-check": {"apiToken": fake_hex("up2u-health-token")}
    }
    assert values["hub"]["loadRoles"]["health-check"]["scopes"] == [
        "admin:users!user=health-check",
        "servers!user=health-check",
        "access:servers!user=health-check",
    ]


def test_disabled_health_check_makes_no_token(harness):
    hub = deploy(harness, minimal_config(healthCheck={"enabled": False}))
    assert "up2u-health-token" not in [r.name for r in harness.registered(RANDOM)]
    assert harness.resolve(hub.health_check_token) == ("", True)
    assert "services" not in unwrap(harness.one(RELEASE).inputs)[0]["values"]["hub"]
