"""Monitoring: the config, the values that let Prometheus in, and the resources under mocks."""

import json
import re

import pytest
from traitlets.config import Config

from tests.conftest import ROOT, committed_settings, minimal_config
from tests.pulumi_harness import fake_hex, unwrap
from tests.test_values import assert_schema_valid
from up2u_jupyter import monitoring
from up2u_jupyter.component import JupyterHub, JupyterHubArgs
from up2u_jupyter.errors import ConfigError
from up2u_jupyter.preview import hubconfig
from up2u_jupyter.pupildata.helm import FORGET_TOKEN_ENV
from up2u_jupyter.settings import load_settings
from up2u_jupyter.values import METRICS_TOKEN_ENV, PROXY_METRICS_PORT, ChartSecrets, build_values

SECRETS = ChartSecrets("PROXY-TOKEN", "COOKIE-SECRET", "CRYPT-KEY", "HEALTH-TOKEN")
SERVICE_MONITOR = "kubernetes:monitoring.coreos.com/v1:ServiceMonitor"
PROMETHEUS_RULE = "kubernetes:monitoring.coreos.com/v1:PrometheusRule"
CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
SECRET = "kubernetes:core/v1:Secret"
SERVICE = "kubernetes:core/v1:Service"
RELEASE = "kubernetes:helm.sh/v3:Release"
RANDOM = "random:index/randomBytes:RandomBytes"
COMPONENT = "up2u:jupyter:JupyterHub"
TOKEN = fake_hex("up2u-metrics-token")
ENABLED = {"enabled": True}


def settings_with(**monitoring_config):
    return load_settings(minimal_config(monitoring=monitoring_config), "test")


def values_with(**monitoring_config):
    return build_values(settings_with(**monitoring_config), SECRETS)


# --- config -------------------------------------------------------------------------------------


def test_monitoring_is_off_by_default_and_on_in_prod():
    assert load_settings(minimal_config(), "test").monitoring.enabled is False
    prod = committed_settings("prod").monitoring
    assert prod.enabled is True
    assert prod.release_label == {"release": "kube-prometheus-stack"}
    assert prod.namespace == "monitoring"


def test_defaults():
    monitoring_settings = settings_with().monitoring
    assert monitoring_settings.release_label == {"release": "kube-prometheus-stack"}
    assert monitoring_settings.namespace == "monitoring"
    thresholds = monitoring_settings.thresholds
    assert (thresholds.spawn_failure_ratio, thresholds.volume_fill_ratio) == (0.2, 0.9)
    assert (thresholds.hub_down_minutes, thresholds.spawn_duration_seconds) == (5, 120)


@pytest.mark.parametrize(
    ("config", "key", "message"),
    [
        ({"thresholds": {"volumeFillRatio": 0}}, "thresholds.volumeFillRatio", "not a ratio"),
        ({"thresholds": {"spawnFailureRatio": 1.5}}, "thresholds.spawnFailureRatio",
         "not a ratio"),
        ({"thresholds": {"hubDbFillRatio": True}}, "thresholds.hubDbFillRatio", "not a ratio"),
        ({"thresholds": {"spawnDurationSeconds": -1}}, "thresholds.spawnDurationSeconds",
         "not a positive number"),
        ({"thresholds": {"hubDownMinutes": 0}}, "thresholds.hubDownMinutes", "greater than 0"),
        ({"releaseLabel": {}}, "releaseLabel", "empty"),
        ({"releaseLabel": {"release": "kube prometheus"}}, "releaseLabel",
         "not a Kubernetes label value"),
        ({"releaseLabel": {"bad key!": "x"}}, "releaseLabel", "not a Kubernetes label key"),
        ({"namespace": "Monitoring"}, "namespace", "not a DNS-1123 label"),
        ({"runbookUrl": "http://wiki/x"}, "runbookUrl", "not an https URL"),
        ({"thresholds": {"volumeFill": 0.5}}, "thresholds.volumeFill",
         "did you mean monitoring.thresholds.volumeFillRatio"),
    ],
)  # fmt: skip
def test_invalid_monitoring_config_names_the_key_and_the_fix(config, key, message):
    with pytest.raises(ConfigError) as caught:
        settings_with(**config)
    (line,) = caught.value.lines()
    assert line.startswith(f"up2u-jupyter:monitoring.{key} (stack test): ")
    assert message in line


def test_a_ratio_of_one_and_a_prefixed_label_are_accepted():
    settings = settings_with(
        thresholds={"volumeFillRatio": 1}, releaseLabel={"prometheus.io/instance": "main"}
    )
    assert settings.monitoring.thresholds.volume_fill_ratio == 1


# --- values -------------------------------------------------------------------------------------


def test_disabled_monitoring_adds_nothing_to_the_values():
    assert values_with() == build_values(load_settings(minimal_config(), "test"), SECRETS)
    values = values_with()
    assert METRICS_TOKEN_ENV not in values["hub"]["extraEnv"]
    assert "networkPolicy" not in values["hub"]
    assert "extraCommandLineFlags" not in values["proxy"]["chp"]


def test_metrics_service_role_has_exactly_read_metrics():
    role = values_with(**ENABLED)["hub"]["loadRoles"]["metrics"]
    assert role["scopes"] == ["read:metrics"]
    assert role["services"] == ["metrics"]


def test_metrics_token_reaches_the_hub_from_the_secret_not_the_values():
    hub = values_with(**ENABLED)["hub"]
    assert hub["extraEnv"][METRICS_TOKEN_ENV] == {
        "valueFrom": {"secretKeyRef": {"name": "jhub-up2u-metrics", "key": "token"}}
    }
    assert "metrics" not in hub.get("services", {})  # the chart would put a token in values


def test_network_policies_admit_only_the_monitoring_namespaces_prometheus():
    values = values_with(namespace="observability", **ENABLED)
    expected_from = [
        {
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "observability"}},
            "podSelector": {"matchLabels": {"app.kubernetes.io/name": "prometheus"}},
        }
    ]
    assert values["hub"]["networkPolicy"]["ingress"] == [
        {"from": expected_from, "ports": [{"protocol": "TCP", "port": 8081}]}
    ]
    assert values["proxy"]["chp"]["networkPolicy"]["ingress"] == [
        {"from": expected_from, "ports": [{"protocol": "TCP", "port": PROXY_METRICS_PORT}]}
    ]


def test_the_proxy_serves_metrics_on_its_own_port():
    flags = values_with(**ENABLED)["proxy"]["chp"]["extraCommandLineFlags"]
    assert flags == [f"--metrics-port={PROXY_METRICS_PORT}"]


@pytest.mark.parametrize(
    "config",
    [
        minimal_config(monitoring=ENABLED),
        minimal_config(monitoring=ENABLED, cull={"enabled": False}),
        minimal_config(
            monitoring=ENABLED,
            hub={"db": {"type": "postgres", "url": "postgresql+psycopg2://hub@db:5432/hub"}},
        ),
    ],
    ids=["enabled", "no-culler", "postgres"],
)
def test_enabled_monitoring_passes_the_chart_schema(config, chart_defaults, chart_schema):
    assert_schema_valid(build_values(load_settings(config, "t"), SECRETS), chart_defaults,
                        chart_schema)  # fmt: skip


def test_helm_values_can_still_override_the_network_policy():
    config = minimal_config(
        monitoring=ENABLED, helmValues={"hub": {"networkPolicy": {"ingress": []}}}
    )
    assert (
        build_values(load_settings(config, "t"), SECRETS)["hub"]["networkPolicy"]["ingress"] == []
    )


def test_hub_config_registers_the_metrics_service_with_the_token_from_the_environment(
    monkeypatch,
):
    monkeypatch.setenv(METRICS_TOKEN_ENV, "token-from-the-secret")
    monkeypatch.setenv(FORGET_TOKEN_ENV, "the-forget-user-token")  # every stack's extraConfig
    c = Config()
    hubconfig.apply_values(c, values_with(**ENABLED), hub_api_url="http://127.0.0.1:1/hub/api")
    services = {service["name"]: service for service in c.JupyterHub.services}
    assert services["metrics"] == {"name": "metrics", "api_token": "token-from-the-secret"}
    roles = {role["name"]: role for role in c.JupyterHub.load_roles}
    assert roles["metrics"]["scopes"] == ["read:metrics"]


# --- monitoring data ----------------------------------------------------------------------------


def test_targets_follow_the_chart_names():
    settings = settings_with(**ENABLED)
    values = build_values(settings, SECRETS)
    where = monitoring.targets(settings, values)
    assert (where.hub_job, where.hub_metrics_path, where.hub_db_claim) == (
        "hub",
        "/hub/metrics",
        "hub-db-dir",
    )
    values = {**values, "fullnameOverride": None, "hub": {**values["hub"], "baseUrl": "/jh/"}}
    where = monitoring.targets(settings, values)
    assert (where.hub_job, where.hub_metrics_path, where.hub_db_claim) == (
        "jhub-jupyterhub-hub",
        "/jh/hub/metrics",
        "jhub-jupyterhub-hub-db-dir",
    )


def test_alerts_that_do_not_apply_are_left_out():
    def names(config):
        settings = load_settings(config, "t")
        return [a.name for a in monitoring.alerts(settings, build_values(settings, SECRETS))]

    everything = names(minimal_config(monitoring=ENABLED))
    assert "JupyterHubCullerNotRunning" in everything
    assert "JupyterHubDatabaseVolumeFilling" in everything
    assert "JupyterHubCullerNotRunning" not in names(
        minimal_config(monitoring=ENABLED, cull={"enabled": False})
    )
    postgres = {"db": {"type": "postgres", "url": "postgresql+psycopg2://hub@db:5432/hub"}}
    assert "JupyterHubDatabaseVolumeFilling" not in names(
        minimal_config(monitoring=ENABLED, hub=postgres)
    )


def test_runbook_links_point_to_the_monitoring_doc_sections():
    settings = settings_with(
        runbookUrl="https://git.example.org/up2u/docs/monitoring.md", **ENABLED
    )
    rules = monitoring.prometheus_rule(settings, build_values(settings, SECRETS))
    readme = (ROOT / monitoring.RUNBOOKS).read_text()
    anchors = {_github_anchor(h) for h in re.findall(r"^#+ (.+)$", readme, flags=re.M)}
    for rule in rules["groups"][0]["rules"]:
        url = rule["annotations"]["runbook_url"]
        assert url.startswith("https://git.example.org/up2u/docs/monitoring.md#")
        assert url.rpartition("#")[2] in anchors, f"no runbook section for {rule['alert']}"
        assert rule["annotations"]["summary"] and rule["annotations"]["description"]


def _github_anchor(heading: str) -> str:
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def test_dashboards_are_grafana_models_with_a_query_in_every_panel():
    settings = settings_with(**ENABLED)
    boards = monitoring.dashboards(settings, build_values(settings, SECRETS))
    assert set(boards) == {"overview", "storage"}
    for board in boards.values():
        assert len(board["uid"]) <= 40
        ids = [panel["id"] for panel in board["panels"]]
        assert len(ids) == len(set(ids))
        for panel in board["panels"]:
            assert panel["targets"] and all(t["expr"] for t in panel["targets"])
            assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
            assert panel["gridPos"]["x"] + panel["gridPos"]["w"] <= 24
    titles = [title for title, _ in monitoring.panel_queries(boards["overview"])]
    for wanted in ("Users", "Servers running", "Server start duration", "Hub API latency",
                   "Idle culler", "Server starts by outcome"):  # fmt: skip
        assert wanted in titles


# --- resources under Pulumi mocks ---------------------------------------------------------------


def deploy(harness, config):
    settings = load_settings(config, "test")
    return harness.run(
        lambda: JupyterHub("up2u", JupyterHubArgs(settings, secrets={"oauthClientSecret": "s"}))
    )


def test_disabled_monitoring_creates_no_monitoring_resources(harness):
    deploy(harness, minimal_config())
    assert harness.registered(SERVICE_MONITOR) == []
    assert harness.registered(PROMETHEUS_RULE) == []
    assert harness.registered(CONFIG_MAP) == []
    assert "up2u-metrics-token" not in [r.name for r in harness.registered(RANDOM)]
    # both wait on the namespace's name: the engine may register either first
    assert sorted(r.name for r in harness.registered(SECRET)) == [
        "up2u-credentials",
        "up2u-data-protection",
    ]


def test_enabled_monitoring_creates_monitors_rules_and_dashboards(harness):
    deploy(harness, minimal_config(namespace="edu", monitoring=ENABLED))
    component = harness.one(COMPONENT)
    made = [
        *harness.registered(SERVICE_MONITOR),
        *harness.registered(PROMETHEUS_RULE),
        *harness.registered(CONFIG_MAP),
    ]
    assert sorted(r.name for r in made) == [
        "up2u-alerts",
        "up2u-dashboard-overview",
        "up2u-dashboard-storage",
        "up2u-hub-monitor",
        "up2u-proxy-monitor",
    ]
    for registration in made:
        assert registration.parent == component.urn
        assert unwrap(registration.inputs)[0]["metadata"]["namespace"] == "edu"


@pytest.mark.parametrize(
    "label", [{"release": "kube-prometheus-stack"}, {"prometheus": "main", "team": "edu"}]
)
def test_monitors_and_rules_carry_the_configured_release_label(harness, label):
    deploy(harness, minimal_config(monitoring={**ENABLED, "releaseLabel": label}))
    for registration in [*harness.registered(SERVICE_MONITOR), harness.one(PROMETHEUS_RULE)]:
        labels = unwrap(registration.inputs)[0]["metadata"]["labels"]
        assert labels.items() >= label.items(), registration.name


def test_hub_monitor_authorises_with_the_metrics_secret(harness):
    deploy(harness, minimal_config(monitoring=ENABLED))
    monitors = {r.name: unwrap(r.inputs)[0] for r in harness.registered(SERVICE_MONITOR)}
    hub = monitors["up2u-hub-monitor"]
    assert hub["apiVersion"] == "monitoring.coreos.com/v1"
    assert hub["spec"]["selector"] == {
        "matchLabels": {"app": "jupyterhub", "release": "jhub", "component": "hub"}
    }
    (endpoint,) = hub["spec"]["endpoints"]
    assert endpoint["port"] == "hub" and endpoint["path"] == "/hub/metrics"
    assert endpoint["authorization"]["credentials"] == {"name": "jhub-up2u-metrics", "key": "token"}
    secret = next(r for r in harness.registered(SECRET) if r.name == "up2u-metrics-token")
    assert unwrap(secret.inputs)[0]["metadata"]["name"] == "jhub-up2u-metrics"
    # the hub and the Operator read the Secret by name: both wait for it
    assert secret.urn in harness.one(RELEASE).dependencies
    assert all(secret.urn in r.dependencies for r in harness.registered(SERVICE_MONITOR))


def test_proxy_monitor_scrapes_our_service_in_front_of_the_proxy_metrics_port(harness):
    deploy(harness, minimal_config(monitoring=ENABLED))
    service = next(r for r in harness.registered(SERVICE) if r.name == "up2u-proxy-metrics")
    inputs = unwrap(service.inputs)[0]
    assert inputs["spec"]["selector"] == {
        "app": "jupyterhub",
        "release": "jhub",
        "component": "proxy",
    }
    assert inputs["spec"]["ports"][0]["targetPort"] == PROXY_METRICS_PORT
    monitor = next(
        unwrap(r.inputs)[0]
        for r in harness.registered(SERVICE_MONITOR)
        if r.name == "up2u-proxy-monitor"
    )
    assert monitor["spec"]["selector"]["matchLabels"] == inputs["metadata"]["labels"]
    assert monitor["spec"]["endpoints"][0]["port"] == inputs["spec"]["ports"][0]["name"]


def test_dashboards_are_config_maps_for_the_grafana_sidecar_in_a_folder_per_stack(harness):
    deploy(harness, minimal_config(namespace="edu", monitoring=ENABLED))
    for registration in harness.registered(CONFIG_MAP):
        inputs = unwrap(registration.inputs)[0]
        assert inputs["metadata"]["labels"]["grafana_dashboard"] == "1"
        assert inputs["metadata"]["annotations"] == {"grafana_folder": "Up2U Jupyter edu"}
        (document,) = inputs["data"].values()
        assert json.loads(document)["title"].startswith("Up2U Jupyter edu: ")


def test_the_metrics_token_is_only_in_its_secret(harness):
    hub = deploy(harness, minimal_config(monitoring=ENABLED))
    holders = []
    for registration in harness.monitor.registrations:
        inputs, secret_paths = unwrap(registration.inputs)
        if TOKEN in json.dumps(inputs):
            holders.append(registration.name)
            assert inputs["stringData"] == {"token": TOKEN}
            assert "stringData" in secret_paths
    assert holders == ["up2u-metrics-token"]
    outputs = json.dumps([harness.resolve(output)[0] for output in hub.outputs().values()])
    assert TOKEN not in outputs
    assert (
        len(TOKEN) == 64
    )  # the harness's stand-in for the random value, so the search means something


# --- the local preview ----------------------------------------------------------------------------


def test_preview_generates_a_metrics_token_and_keeps_proxy_metrics_on_localhost():
    from up2u_jupyter.preview.plan import Ports, local_plan

    ports = Ports(public=8000, hub=8081, proxy_api=8001, oidc=9400, proxy_metrics=9402)
    settings = committed_settings("dev", monitoring=ENABLED)
    plan = local_plan(settings, ports)
    assert len(bytes.fromhex(plan.env[METRICS_TOKEN_ENV])) == 32
    assert plan.env[METRICS_TOKEN_ENV] != local_plan(settings, ports).env[METRICS_TOKEN_ENV]
    flags = plan.values["proxy"]["chp"]["extraCommandLineFlags"]
    assert flags[-2:] == ["--metrics-ip=127.0.0.1", "--metrics-port=9402"]
    without = local_plan(committed_settings("dev"), ports)
    assert METRICS_TOKEN_ENV not in without.env
    # no flags of ours (the chart's default, an empty list, when its values.yaml is merged)
    assert not without.values["proxy"]["chp"].get("extraCommandLineFlags")


def test_every_monitoring_key_is_in_the_readme_config_reference():
    from up2u_jupyter.settings.models import Monitoring, MonitoringThresholds

    readme = (ROOT / "docs" / "reference.md").read_text()
    reference = readme[readme.index("## Config reference") : readme.index("## Stack outputs")]
    keys = [f"monitoring.{field.alias}" for field in Monitoring.model_fields.values()]
    keys += [f".{f.alias}`" for f in MonitoringThresholds.model_fields.values()]
    missing = [key for key in keys if key not in reference]
    assert not missing, f"docs/reference.md lacks {missing}"
