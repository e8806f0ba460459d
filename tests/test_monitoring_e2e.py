"""Monitoring end to end: a real Prometheus scraping the local preview's hub and proxy.

The dev stack with ``monitoring.enabled`` (and a 20 s idle culler) runs in the local preview;
Debian's ``prometheus`` scrapes it on 127.0.0.1 the way the Operator would from our
ServiceMonitors (same job names, paths, token and ``namespace`` label), and loads our rules.
A user signs in through the OpenID Connect flow and starts a server, the culler stops it, and
then every panel of the overview dashboard must return data from that Prometheus.

The storage dashboard is not run here: its panels read the kubelet's volume statistics
(``kubelet_volume_stats_*``), which only a cluster exports. tests/test_monitoring_rules.py
evaluates them with promtool on input series, as it does every alert.
"""

import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from tests.conftest import committed_settings
from tests.preview_session import sign_in_and_start
from up2u_jupyter import monitoring
from up2u_jupyter.preview.plan import HOST, free_port
from up2u_jupyter.preview.processes import Preview
from up2u_jupyter.values import METRICS_TOKEN_ENV

pytestmark = [pytest.mark.e2e, pytest.mark.filterwarnings("ignore::DeprecationWarning")]

PROMETHEUS = shutil.which("prometheus")
if PROMETHEUS is None:
    if os.environ.get("CI"):
        raise RuntimeError("prometheus is missing: .ci/run installs Debian's prometheus")
    pytest.skip("prometheus not installed (apt-get install prometheus)", allow_module_level=True)

USER = "0a1b2c3d4e5f60718293a4b5c6d7e8f9@eduteams.org"  # dev's allowedUsers
SCRAPE_SECONDS = 1
DEADLINE = 120
REFUSED_JOB = "hub-without-token"
# time the culler needs to stop an idle server: timeout + one run
CULL = {"timeout": 20, "every": 5}


@pytest.fixture(scope="module")
def hub():
    settings = committed_settings("dev", monitoring={"enabled": True}, cull=CULL)
    with Preview(settings, "dev", port=free_port()) as preview:
        yield preview


def scrape_config(preview: Preview, token_file: Path) -> dict[str, Any]:
    """Prometheus' config for what our ServiceMonitors select, pointed at the preview.

    The Operator names a ServiceMonitor's job after the Service and adds the target's
    ``namespace`` label; static targets get the same, so the rules and panels run unchanged.
    """
    assert preview.plan is not None
    settings, values = preview.settings, preview.plan.values
    where = monitoring.targets(settings, values)
    monitors = monitoring.service_monitors(settings, values)
    (hub_endpoint,) = monitors["hub"]["endpoints"]
    (proxy_endpoint,) = monitors["proxy"]["endpoints"]
    assert hub_endpoint["authorization"]["credentials"]["key"] == "token"

    def job(name: str, port: int, path: str, namespace: str, **extra: Any) -> dict[str, Any]:
        return {
            "job_name": name,
            "metrics_path": path,
            "static_configs": [{"targets": [f"{HOST}:{port}"], "labels": {"namespace": namespace}}],
            **extra,
        }

    bearer = {"authorization": {"type": "Bearer", "credentials_file": str(token_file)}}
    return {
        "global": {
            "scrape_interval": f"{SCRAPE_SECONDS}s",
            "evaluation_interval": f"{SCRAPE_SECONDS}s",
        },
        "rule_files": ["rules.yaml"],
        "scrape_configs": [
            job(where.hub_job, preview.ports.hub, hub_endpoint["path"], where.namespace, **bearer),
            job(where.proxy_job, preview.ports.proxy_metrics, proxy_endpoint["path"],
                where.namespace),
            # the same hub without the token: it must be refused
            job(REFUSED_JOB, preview.ports.hub, hub_endpoint["path"], "elsewhere"),
        ],
    }  # fmt: skip


class Prom:
    """A running Prometheus and its query API."""

    def __init__(self, url: str) -> None:
        self.url = url

    def query(self, expr: str) -> list[dict[str, Any]]:
        reply = requests.get(f"{self.url}/api/v1/query", params={"query": expr}, timeout=10)
        body = reply.json()
        assert body["status"] == "success", (expr, body)
        return list(body["data"]["result"])

    def values(self, expr: str) -> list[float]:
        return [float(sample["value"][1]) for sample in self.query(expr)]

    def wait(self, expr: str, what: str, seconds: float = DEADLINE) -> list[dict[str, Any]]:
        """Poll until ``expr`` returns something; fail naming ``what`` otherwise."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            result = self.query(expr)
            if result:
                return result
            time.sleep(0.5)
        raise AssertionError(f"no data within {seconds}s for {what}: {expr}")


@pytest.fixture(scope="module")
def prometheus(hub, tmp_path_factory):
    folder = tmp_path_factory.mktemp("prometheus")
    token_file = folder / "token"
    token_file.write_text(hub.plan.env[METRICS_TOKEN_ENV])
    token_file.chmod(0o600)
    rules = monitoring.prometheus_rule(hub.settings, hub.plan.values)
    (folder / "rules.yaml").write_text(yaml.safe_dump(rules, sort_keys=False))
    (folder / "prometheus.yml").write_text(yaml.safe_dump(scrape_config(hub, token_file)))
    port = free_port()
    started = time.monotonic()
    with (folder / "prometheus.log").open("wb") as log:
        process = subprocess.Popen(
            [PROMETHEUS, f"--config.file={folder / 'prometheus.yml'}",
             f"--storage.tsdb.path={folder / 'data'}", f"--web.listen-address={HOST}:{port}",
             "--storage.tsdb.retention.time=1h"],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=folder,
        )  # fmt: skip
    url = f"http://{HOST}:{port}"
    try:
        _wait_ready(url, process, folder / "prometheus.log")
        print(f"prometheus ready in {time.monotonic() - started:.1f}s")
        yield Prom(url)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_ready(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"prometheus exited: {log.read_text()[-2000:]}")
        try:
            if requests.get(f"{url}/-/ready", timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    raise AssertionError("prometheus did not become ready within 60s")


def test_hub_metrics_need_the_metrics_token(hub):
    url = f"http://{HOST}:{hub.ports.hub}/hub/metrics"
    assert requests.get(url, timeout=10).status_code == 403
    health_token = hub.plan.values["hub"]["services"]["health-check"]["apiToken"]
    refused = requests.get(url, headers={"Authorization": f"token {health_token}"}, timeout=10)
    assert refused.status_code == 403  # a service token without read:metrics is refused too
    token = hub.plan.env[METRICS_TOKEN_ENV]
    allowed = requests.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert allowed.status_code == 200
    assert "jupyterhub_running_servers" in allowed.text


def test_prometheus_scrapes_hub_and_proxy_and_is_refused_without_the_token(hub, prometheus):
    where = monitoring.targets(hub.settings, hub.plan.values)
    prometheus.wait(f"up{where.hub()} == 1", "the hub target")
    prometheus.wait(f"up{where.proxy()} == 1", "the proxy target")
    prometheus.wait(f'up{{job="{REFUSED_JOB}"}} == 0', "the hub without a token")
    targets = requests.get(f"{prometheus.url}/api/v1/targets", timeout=10).json()
    refused = next(t for t in targets["data"]["activeTargets"] if t["labels"]["job"] == REFUSED_JOB)
    assert "403" in refused["lastError"], refused["lastError"]


@pytest.mark.slow
def test_every_overview_panel_returns_data_after_a_user_starts_a_server(hub, prometheus):
    where = monitoring.targets(hub.settings, hub.plan.values)
    prometheus.wait(f"up{where.hub()} == 1", "the hub target")
    started = time.monotonic()
    session = sign_in_and_start(hub, USER)
    print(f"sign-in and server start: {time.monotonic() - started:.1f}s")
    prometheus.wait(f"jupyterhub_running_servers{where.hub()} == 1", "the running server")
    session.close()  # the server now idles; the 20 s culler stops it
    stops = "jupyterhub_server_stop_seconds_count" + where.hub('status="success"')
    prometheus.wait(f"increase({stops}[1h]) > 0", "the culled server")
    prometheus.wait(f"jupyterhub_running_servers{where.hub()} == 0", "no server after the cull")
    print(f"until culled: {time.monotonic() - started:.1f}s")

    board = monitoring.dashboards(hub.settings, hub.plan.values)["overview"]
    panels: dict[str, list[list[dict[str, Any]]]] = {}  # title -> each query's samples
    for title, expr in monitoring.panel_queries(board):
        samples = prometheus.wait(expr, f"panel {title!r}", seconds=30)
        panels.setdefault(title, []).append(samples)
    assert len(panels) == len(board["panels"])
    print(f"every query of {len(panels)} panels returned data")

    def values(title: str, query: int = 0) -> list[float]:
        return [float(sample["value"][1]) for sample in panels[title][query]]

    assert values("Hub up") == [1.0] and values("Proxy up") == [1.0]
    assert len(values("Users", 0)) == 3  # active in 24h, 7d, 30d
    assert values("Users", 1)[0] >= 1  # all users: the one who signed in
    p50, p90 = values("Server start duration", 0)[0], values("Server start duration", 1)[0]
    assert 0 < p50 <= p90
    outcomes = {
        s["metric"]["status"]: float(s["value"][1]) for s in panels["Server starts by outcome"][0]
    }
    assert outcomes["success"] > 0 and outcomes["failure"] == 0
    assert values("Idle culler", 0)[0] > 0  # the culler's checks
    assert values("Idle culler", 1)[0] > 0  # the culled server
    assert sum(values("Proxy requests by status")) > 0


def test_rules_load_and_evaluate_cleanly_on_the_real_hub(hub, prometheus):
    where = monitoring.targets(hub.settings, hub.plan.values)
    prometheus.wait(f"up{where.hub()} == 1", "the hub target")
    time.sleep(3 * SCRAPE_SECONDS)  # a few evaluations
    groups = requests.get(f"{prometheus.url}/api/v1/rules", timeout=10).json()["data"]["groups"]
    rules = {rule["name"]: rule for group in groups for rule in group["rules"]}
    expected = [a.name for a in monitoring.alerts(hub.settings, hub.plan.values)]
    assert sorted(rules) == sorted(expected)
    assert all(rule["health"] == "ok" for rule in rules.values()), [
        (name, rule.get("lastError")) for name, rule in rules.items() if rule["health"] != "ok"
    ]
    assert rules["JupyterHubDown"]["state"] == "inactive"
    assert rules["JupyterHubProxyDown"]["state"] == "inactive"


def test_every_hub_and_proxy_metric_we_use_exists(hub, prometheus):
    """Names are read from the running hub and proxy, never assumed (kubelet's excepted)."""
    where = monitoring.targets(hub.settings, hub.plan.values)
    prometheus.wait(f"jupyterhub_running_servers{where.hub()}", "the hub's metrics")
    prometheus.wait(f"requests_proxy{where.proxy()}", "the proxy's request counter", seconds=60)
    exported = set(
        requests.get(f"{prometheus.url}/api/v1/label/__name__/values", timeout=10).json()["data"]
    )
    board = monitoring.dashboards(hub.settings, hub.plan.values)["overview"]
    exprs = [expr for _, expr in monitoring.panel_queries(board)]
    exprs += [a.expr for a in monitoring.alerts(hub.settings, hub.plan.values)]
    used = {
        name
        for expr in exprs
        for name in re.findall(r"([a-z_][a-z0-9_]*)\{", expr)
        if not name.startswith("kubelet_")
    }
    assert used, "no metric names found"
    assert used <= exported, f"not exported by the hub or proxy: {sorted(used - exported)}"
    print("metrics used:", json.dumps(sorted(used)))
