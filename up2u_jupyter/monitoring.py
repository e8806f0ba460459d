"""A stack's monitoring as plain data: what Prometheus scrapes, the alerts, the dashboards.

For a Prometheus Operator (kube-prometheus-stack): ServiceMonitor and PrometheusRule specs, and
Grafana dashboards for its sidecar. No Pulumi here; ``component.py`` turns these into resources.
Metric names are JupyterHub 5.5's (``jupyterhub/metrics.py``), configurable-http-proxy 5.2's
(``lib/metrics.js``) and the kubelet's volume statistics; the end-to-end test checks every hub
and proxy name against the running programs, promtool checks the rest.
"""

import hashlib
from dataclasses import dataclass
from typing import Any

from .chart import NAME as CHART_NAME
from .chart import resource_prefix
from .pupildata.helm import METRICS_PORT_NAME as BACKUP_METRICS_PORT
from .pupildata.names import BACKUP_LAST_SUCCESS
from .settings import Settings
from .values import METRICS_SECRET_KEY, PROXY_METRICS_PORT, metrics_secret_name

RUNBOOKS = "docs/monitoring.md"
"""Where the alerts' runbooks are (one section per alert), relative to the repository."""
API_VERSION = "monitoring.coreos.com/v1"
"""The Prometheus Operator's API group and version of ServiceMonitor and PrometheusRule."""
SCRAPE_INTERVAL = "30s"
DASHBOARD_LABEL = {"grafana_dashboard": "1"}
"""The label Grafana's dashboard sidecar looks for (kube-prometheus-stack's default)."""
FOLDER_ANNOTATION = "grafana_folder"
"""The annotation naming the dashboard's folder (the sidecar's ``folderAnnotation``)."""
USER_CLAIMS = "claim-.*"
"""User volume claims: KubeSpawner's default ``pvc_name_template`` is ``claim-{user_server}``."""
LIST_USERS_HANDLER = "jupyterhub.apihandlers.users.UserListAPIHandler"
"""The API handler the idle culler calls once per ``cull.every`` (GET /hub/api/users)."""
SERVER_HANDLER = "jupyterhub.apihandlers.users.UserServerAPIHandler"
"""The API handler that stops a server (DELETE): the culler's and the Stop button's."""
PART_OF = {"app.kubernetes.io/part-of": "up2u-jupyter"}


@dataclass(frozen=True)
class Targets:
    """One stack's scrape targets, named as the Operator labels their series."""

    namespace: str
    hub_job: str
    """The hub Service's name: the Operator's ``job`` label for the hub."""
    proxy_job: str
    """The proxy metrics Service's name (ours; the chart has none)."""
    hub_metrics_path: str
    hub_db_claim: str | None
    """The hub database's volume claim; None for an external PostgreSQL."""

    def hub(self, *matchers: str) -> str:
        """A PromQL selector for the hub's series, plus extra matchers."""
        return _selector(_is("namespace", self.namespace), _is("job", self.hub_job), *matchers)

    def proxy(self, *matchers: str) -> str:
        """A PromQL selector for the proxy's series."""
        return _selector(_is("namespace", self.namespace), _is("job", self.proxy_job), *matchers)

    def user_claims(self) -> str:
        """The kubelet volume statistics of user volumes."""
        return _selector(
            _is("namespace", self.namespace), f'persistentvolumeclaim=~"{USER_CLAIMS}"'
        )

    def database_claim(self) -> str:
        """The kubelet volume statistics of the hub database volume."""
        return _selector(
            _is("namespace", self.namespace), _is("persistentvolumeclaim", str(self.hub_db_claim))
        )


def _is(label: str, value: str) -> str:
    # a name from helmValues (fullnameOverride) could hold a quote: escape as PromQL strings are
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'{label}="{escaped}"'


def _selector(*matchers: str) -> str:
    return "{" + ", ".join(matchers) + "}"


def targets(settings: Settings, values: dict[str, Any]) -> Targets:
    """Where the stack's metrics come from, derived from its values as the chart names things."""
    prefix = resource_prefix(values, settings.release_name)
    base = str(values.get("hub", {}).get("baseUrl") or "/").strip("/")
    sqlite = values.get("hub", {}).get("db", {}).get("type", "sqlite-pvc") == "sqlite-pvc"
    return Targets(
        namespace=settings.namespace,
        hub_job=f"{prefix}hub",
        proxy_job=proxy_metrics_service_name(settings),
        hub_metrics_path=f"/{base}/hub/metrics" if base else "/hub/metrics",
        hub_db_claim=f"{prefix}hub-db-dir" if sqlite else None,
    )


def proxy_metrics_service_name(settings: Settings) -> str:
    """Our Service in front of the proxy's metrics port (the chart exposes none)."""
    return f"{settings.release_name}-up2u-proxy-metrics"


def chart_labels(settings: Settings, values: dict[str, Any], component: str) -> dict[str, str]:
    """The labels the chart puts on a component's pods and Services (its legacy, stable set)."""
    name = values.get("nameOverride") or CHART_NAME
    return {"app": str(name), "release": settings.release_name, "component": component}


def resource_labels(settings: Settings) -> dict[str, str]:
    """Labels of the ServiceMonitors and the PrometheusRule: the one Prometheus selects on."""
    return {**PART_OF, **settings.monitoring.release_label}


# --- scraping -----------------------------------------------------------------------------------


def proxy_metrics_service(settings: Settings, values: dict[str, Any]) -> dict[str, Any]:
    """The spec of a ClusterIP Service for the proxy pod's metrics port."""
    return {
        "type": "ClusterIP",
        "selector": chart_labels(settings, values, "proxy"),
        "ports": [
            {
                "name": "metrics",
                "port": PROXY_METRICS_PORT,
                "targetPort": PROXY_METRICS_PORT,
                "protocol": "TCP",
            }
        ],
    }


def proxy_metrics_service_labels(settings: Settings) -> dict[str, str]:
    """What the proxy ServiceMonitor selects our Service by."""
    return {
        **PART_OF,
        "app.kubernetes.io/name": "up2u-proxy-metrics",
        "app.kubernetes.io/instance": settings.release_name,
    }


def service_monitors(settings: Settings, values: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """ServiceMonitor specs by short name: the hub (with the metrics token) and the proxy."""
    where = targets(settings, values)
    namespaces = {"matchNames": [settings.namespace]}
    # the hub-db-backup sidecar's metrics, through the hub Service's extra port
    backups = [{"port": BACKUP_METRICS_PORT, "path": "/metrics", "interval": SCRAPE_INTERVAL}]
    return {
        "hub": {
            "selector": {"matchLabels": chart_labels(settings, values, "hub")},
            "namespaceSelector": namespaces,
            "endpoints": [
                {
                    "port": "hub",
                    "path": where.hub_metrics_path,
                    "interval": SCRAPE_INTERVAL,
                    "authorization": {
                        "type": "Bearer",
                        "credentials": {
                            "name": metrics_secret_name(settings),
                            "key": METRICS_SECRET_KEY,
                        },
                    },
                },
                *(backups if settings.data_protection.backups.enabled else []),
            ],
        },
        "proxy": {
            "selector": {"matchLabels": proxy_metrics_service_labels(settings)},
            "namespaceSelector": namespaces,
            "endpoints": [{"port": "metrics", "path": "/metrics", "interval": SCRAPE_INTERVAL}],
        },
    }


# --- alerts -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Alert:
    """One alerting rule, with what the operator reads when it fires."""

    name: str
    expr: str
    duration: str
    severity: str
    summary: str
    description: str
    runbook: str = ""
    """The document of its runbook, beside docs/monitoring.md (empty: that one)."""

    @property
    def anchor(self) -> str:
        """The heading of its runbook (GitHub's anchor of ``#### <name>``)."""
        return self.name.lower()

    def runbook_url(self, runbooks: str) -> str:
        """Its runbook's address, given docs/monitoring.md's."""
        if not self.runbook:
            return f"{runbooks}#{self.anchor}"
        folder = runbooks.rpartition("/")[0]
        return (
            f"{folder}/{self.runbook}#{self.anchor}" if folder else f"{self.runbook}#{self.anchor}"
        )


def alerts(settings: Settings, values: dict[str, Any]) -> list[Alert]:
    """Every alert of the stack (culler and hub database alerts only when they apply)."""
    t = targets(settings, values)
    limits = settings.monitoring.thresholds
    spawns = "jupyterhub_server_spawn_duration_seconds"
    failed = t.hub('status="failure"')
    finished = t.hub('status=~"success|failure"')
    succeeded = t.hub('status="success"')
    refused = t.hub('status=~"too-many-users|throttled"')
    culler_checks = t.hub(f'handler="{LIST_USERS_HANDLER}"', 'method="GET"')
    found = [
        Alert(
            "JupyterHubDown",
            f"sum by (namespace, job) (up{t.hub()}) == 0 or absent(up{t.hub()})",
            f"{limits.hub_down_minutes}m",
            "critical",
            "JupyterHub in {{ $labels.namespace }} is unreachable",
            f"Prometheus has not scraped the hub for {limits.hub_down_minutes} minutes: "
            "nobody can sign in or start a server.",
        ),
        Alert(
            "JupyterHubProxyDown",
            f"sum by (namespace, job) (up{t.proxy()}) == 0 or absent(up{t.proxy()})",
            f"{limits.proxy_down_minutes}m",
            "critical",
            "The JupyterHub proxy in {{ $labels.namespace }} is unreachable",
            f"Prometheus has not scraped the proxy for {limits.proxy_down_minutes} minutes: "
            "the service is probably down for everyone.",
        ),
        Alert(
            "JupyterHubSpawnFailures",
            f"sum by (namespace) (increase({spawns}_count{failed}[15m])) / "
            f"sum by (namespace) (increase({spawns}_count{finished}[15m])) "
            f"> {limits.spawn_failure_ratio:g}",
            "5m",
            "warning",
            "{{ $value | humanizePercentage }} of server starts failed in {{ $labels.namespace }}",
            f"More than {limits.spawn_failure_ratio:.0%} of the server starts of the last "
            "15 minutes failed.",
        ),
        Alert(
            "JupyterHubSlowSpawns",
            f"histogram_quantile(0.9, sum by (namespace, le) "
            f"(rate({spawns}_bucket{succeeded}[30m]))) > {limits.spawn_duration_seconds:g}",
            "5m",
            "warning",
            "Server starts in {{ $labels.namespace }} take {{ $value | humanizeDuration }} (p90)",
            f"The slowest tenth of successful server starts of the last 30 minutes took more "
            f"than {limits.spawn_duration_seconds:g} s.",
        ),
        Alert(
            "JupyterHubSpawnsRefused",
            f"sum by (namespace, status) (increase({spawns}_count{refused}[15m])) > 0",
            "0m",
            "warning",
            "JupyterHub in {{ $labels.namespace }} refused server starts ({{ $labels.status }})",
            "The hub refused server starts in the last 15 minutes: too-many-users is "
            "hub.activeServerLimit, throttled is hub.concurrentSpawnLimit.",
        ),
        Alert(
            "JupyterHubUserVolumeFilling",
            f"kubelet_volume_stats_used_bytes{t.user_claims()} / "
            f"kubelet_volume_stats_capacity_bytes{t.user_claims()} "
            f"> {limits.volume_fill_ratio:g}",
            "10m",
            "warning",
            "Volume {{ $labels.persistentvolumeclaim }} in {{ $labels.namespace }} is "
            "{{ $value | humanizePercentage }} full",
            f"A user's home volume is more than {limits.volume_fill_ratio:.0%} full; when it is "
            "full, their notebooks stop saving.",
        ),
    ]
    if settings.cull.enabled:
        window = limits.culler_missed_runs * settings.cull.every
        found.append(
            Alert(
                "JupyterHubCullerNotRunning",
                f"(time() - max by (namespace) (process_start_time_seconds{t.hub()}) > {window}) "
                "unless on (namespace) "
                "(sum by (namespace) (increase(jupyterhub_request_duration_seconds_count"
                f"{culler_checks}[{window}s])) > 0)",
                "5m",
                "warning",
                "The idle culler in {{ $labels.namespace }} has stopped checking",
                f"The hub has run for more than {window} s without the idle culler listing "
                f"users ({limits.culler_missed_runs} runs of cull.every {settings.cull.every} s): "
                "idle servers keep their resources.",
            )
        )
    if t.hub_db_claim is not None:
        found.append(
            Alert(
                "JupyterHubDatabaseVolumeFilling",
                f"kubelet_volume_stats_used_bytes{t.database_claim()} / "
                f"kubelet_volume_stats_capacity_bytes{t.database_claim()} "
                f"> {limits.hub_db_fill_ratio:g}",
                "10m",
                "critical",
                "The hub database volume in {{ $labels.namespace }} is "
                "{{ $value | humanizePercentage }} full",
                f"The SQLite volume is more than {limits.hub_db_fill_ratio:.0%} full; when it "
                "is full the hub can no longer record sign-ins or servers.",
            )
        )
    if settings.data_protection.backups.enabled:
        found.append(_backup_alert(settings, t))
    return found


def _backup_alert(settings: Settings, t: Targets) -> Alert:
    """The newest hub database backup is older than twice the schedule, or there is none."""
    every = settings.data_protection.backups.every
    newest = f"{BACKUP_LAST_SUCCESS}{t.hub()}"
    return Alert(
        "JupyterHubDatabaseBackupStale",
        f"time() - max by (namespace, job) ({newest}) > {2 * every} or absent({newest})",
        "15m",
        "critical",
        "The newest hub database backup in {{ $labels.namespace }} is too old or missing",
        f"No hub database backup newer than {2 * every} s (twice dataProtection.backups.every) "
        "is in the bucket, or the hub-db-backup sidecar is not scraped: a lost volume would "
        "lose the users, groups and tokens since.",
        runbook="pupils-data.md",
    )


def prometheus_rule(settings: Settings, values: dict[str, Any]) -> dict[str, Any]:
    """The PrometheusRule spec (also a valid Prometheus rule file, which promtool checks)."""
    runbooks = settings.monitoring.runbook_url or RUNBOOKS
    return {
        "groups": [
            {
                "name": f"up2u-jupyter-{settings.namespace}",
                "rules": [
                    {
                        "alert": alert.name,
                        "expr": alert.expr,
                        "for": alert.duration,
                        "labels": {"severity": alert.severity},
                        "annotations": {
                            "summary": alert.summary,
                            "description": alert.description,
                            "runbook_url": alert.runbook_url(runbooks),
                        },
                    }
                    for alert in alerts(settings, values)
                ],
            }
        ]
    }


# --- dashboards ---------------------------------------------------------------------------------


def dashboard_folder(settings: Settings) -> str:
    """The Grafana folder of the stack's dashboards: one per stack (namespace)."""
    return f"Up2U Jupyter {settings.namespace}"


@dataclass(frozen=True)
class Panel:
    """One dashboard panel: its queries (legend by query) and how to show them."""

    title: str
    description: str
    queries: dict[str, str]
    unit: str = "short"
    kind: str = "timeseries"


def _rate_quantile(q: float, metric: str, selector: str) -> str:
    return f"histogram_quantile({q}, sum by (le) (rate({metric}_bucket{selector}[5m])))"


def overview_panels(t: Targets) -> list[Panel]:
    """The service at a glance: everything here is the hub's or the proxy's own metrics."""
    spawns = "jupyterhub_server_spawn_duration_seconds"
    requests = "jupyterhub_request_duration_seconds"
    succeeded = t.hub('status="success"')
    api = t.hub('handler=~"jupyterhub.apihandlers.+"')
    culler_checks = t.hub(f'handler="{LIST_USERS_HANDLER}"', 'method="GET"')
    api_stops = t.hub(f'handler="{SERVER_HANDLER}"', 'method="DELETE"')
    return [
        Panel("Hub up", "1 when Prometheus scrapes the hub.", {"hub": f"up{t.hub()}"},
              kind="stat"),
        Panel("Proxy up", "1 when Prometheus scrapes the proxy.", {"proxy": f"up{t.proxy()}"},
              kind="stat"),
        Panel("Servers running", "User servers running now.",
              {"running": f"jupyterhub_running_servers{t.hub()}"}, kind="stat"),
        Panel("Users", "Users active in the last 24 hours, 7 and 30 days (updated hourly), "
              "and every user the hub knows.",
              {"active {{period}}": f"jupyterhub_active_users{t.hub()}",
               "all users": f"jupyterhub_total_users{t.hub()}"}),
        Panel("Server start duration", "Successful starts, median and 90th percentile.",
              {"p50": _rate_quantile(0.5, spawns, succeeded),
               "p90": _rate_quantile(0.9, spawns, succeeded)}, unit="s"),
        Panel("Server starts by outcome", "Starts per 5 minutes: success, failure, "
              "already-pending, throttled (concurrentSpawnLimit), too-many-users "
              "(activeServerLimit).",
              {"{{status}}": f"sum by (status) (increase({spawns}_count{t.hub()}[5m]))"}),
        Panel("Hub API latency", "95th percentile of the hub's REST API requests.",
              {"p95": _rate_quantile(0.95, requests, api)}, unit="s"),
        Panel("Hub requests by status", "Requests per second the hub answered, by HTTP code.",
              {"{{code}}": f"sum by (code) (rate({requests}_count{t.hub()}[5m]))"}, unit="reqps"),
        Panel("Idle culler", "The culler's checks (it lists users once per cull.every) and "
              "servers stopped, per hour: every stop, and those through the API (the culler "
              "and the Stop button use the same endpoint).",
              {"culler checks": f"sum(increase({requests}_count{culler_checks}[1h]))",
               "servers stopped": f"sum(increase(jupyterhub_server_stop_seconds_count"
                                  f"{succeeded}[1h]))",
               "stopped through the API": f"sum(increase({requests}_count{api_stops}[1h]))"}),
        Panel("Hub event loop", "99th percentile of the hub's event-loop interval: above "
              "about 1 s the hub feels stuck.",
              {"p99": _rate_quantile(0.99, "jupyterhub_event_loop_interval_seconds", t.hub())},
              unit="s"),
        Panel("Proxy requests by status", "Requests per second through the proxy (users' "
              "servers and the hub), by HTTP status.",
              {"{{status}}": f"sum by (status) (rate(requests_proxy{t.proxy()}[5m]))"},
              unit="reqps"),
    ]  # fmt: skip


def storage_panels(t: Targets, settings: Settings) -> list[Panel]:
    """Volume fill: the kubelet's statistics, which exist only on a cluster."""
    fill = (
        f"kubelet_volume_stats_used_bytes{t.user_claims()} / "
        f"kubelet_volume_stats_capacity_bytes{t.user_claims()}"
    )
    threshold = settings.monitoring.thresholds.volume_fill_ratio
    panels = [
        Panel(
            "Fullest user volumes",
            "The ten fullest home volumes of running servers "
            "(a volume reports only while mounted).",
            {"{{persistentvolumeclaim}}": f"topk(10, {fill})"},
            unit="percentunit",
        ),
        Panel(
            "User volumes above the alert threshold",
            f"Home volumes more than {threshold:.0%} full.",
            {"volumes": f"count({fill} > {threshold:g}) or vector(0)"},
            kind="stat",
        ),
    ]
    if t.hub_db_claim is not None:
        panels.append(
            Panel("Hub database volume", "How full the hub's SQLite volume is.",
                  {"hub-db-dir": f"kubelet_volume_stats_used_bytes{t.database_claim()} / "
                                 f"kubelet_volume_stats_capacity_bytes{t.database_claim()}"},
                  unit="percentunit", kind="stat")
        )  # fmt: skip
    return panels


def dashboards(settings: Settings, values: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Grafana dashboards (JSON models) by short name: ``overview`` and ``storage``."""
    t = targets(settings, values)
    return {
        "overview": _dashboard(settings, "overview", "Service", overview_panels(t)),
        "storage": _dashboard(settings, "storage", "Storage", storage_panels(t, settings)),
    }


def _dashboard(settings: Settings, short: str, title: str, panels: list[Panel]) -> dict[str, Any]:
    # uids are at most 40 characters; a namespace can be 63
    digest = hashlib.sha256(settings.namespace.encode()).hexdigest()[:10]
    return {
        "uid": f"up2u-{digest}-{short}",
        "title": f"Up2U Jupyter {settings.namespace}: {title}",
        "tags": ["up2u-jupyter", "jupyterhub"],
        "editable": False,
        "schemaVersion": 39,
        "time": {"from": "now-6h", "to": "now"},
        "refresh": "1m",
        "templating": {
            "list": [
                {
                    "name": "datasource",
                    "label": "Prometheus",
                    "type": "datasource",
                    "query": "prometheus",
                }
            ]
        },
        "panels": _layout(panels),
    }


def _layout(panels: list[Panel]) -> list[dict[str, Any]]:
    """Left to right, then the next row: stats a third wide, graphs half, 24 columns a row."""
    placed, x, y = [], 0, 0
    for index, panel in enumerate(panels):
        width, height = (8, 5) if panel.kind == "stat" else (12, 8)
        if x + width > 24:
            x, y = 0, y + 8
        placed.append(_panel(index, panel, {"h": height, "w": width, "x": x, "y": y}))
        x += width
    return placed


def _panel(index: int, panel: Panel, position: dict[str, int]) -> dict[str, Any]:
    return {
        "id": index + 1,
        "type": panel.kind,
        "title": panel.title,
        "description": panel.description,
        "datasource": {"type": "prometheus", "uid": "${datasource}"},
        "gridPos": position,
        "fieldConfig": {"defaults": {"unit": panel.unit}, "overrides": []},
        "targets": [
            {"refId": chr(ord("A") + n), "expr": expr, "legendFormat": legend}
            for n, (legend, expr) in enumerate(panel.queries.items())
        ],
    }


def panel_queries(dashboard: dict[str, Any]) -> list[tuple[str, str]]:
    """Every (panel title, PromQL) of a dashboard."""
    return [
        (panel["title"], target["expr"])
        for panel in dashboard["panels"]
        for target in panel["targets"]
    ]
