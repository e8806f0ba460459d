"""The alerting rules and the cluster-only dashboard panels, run by Prometheus' own promtool.

Every alert gets input series where it must fire and series where it must stay quiet
(``promtool test rules``). The storage dashboard reads the kubelet's volume statistics, which
only a cluster exports, so its panels are evaluated here with input series instead of in the
end-to-end test (tests/test_monitoring_e2e.py runs every other panel against a real hub).
"""

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import committed_settings
from up2u_jupyter import monitoring
from up2u_jupyter.values import ChartSecrets, build_values

PROMTOOL = shutil.which("promtool")
if PROMTOOL is None:
    if os.environ.get("CI"):
        raise RuntimeError("promtool is missing: .ci/run installs Debian's prometheus")
    pytest.skip("promtool not installed (apt-get install prometheus)", allow_module_level=True)

# prod: namespace and release jhub, sqlite-pvc, cull.every 180 s; thresholds at their defaults
# (its backup alert is tests/test_pupildata_backups.py's)
SETTINGS = committed_settings(
    "prod", monitoring={"enabled": True}, dataProtection={"backups": {"enabled": False}}
)
VALUES = build_values(SETTINGS, ChartSecrets("p", "c", "k", "h"))
NS = "jhub"
HUB = f'namespace="{NS}", job="hub", instance="10.0.0.5:8081"'
PROXY = f'namespace="{NS}", job="jhub-up2u-proxy-metrics", instance="10.0.0.6:8002"'
SPAWNS = "jupyterhub_server_spawn_duration_seconds"
LIST_USERS = (
    f"jupyterhub_request_duration_seconds_count{{{HUB}, "
    f'handler="{monitoring.LIST_USERS_HANDLER}", method="GET", code="200"}}'
)


def volume(claim: str, used: str, capacity: str = "100x40", namespace: str = NS) -> list[dict]:
    labels = f'namespace="{namespace}", persistentvolumeclaim="{claim}", job="kubelet"'
    return [
        {"series": f"kubelet_volume_stats_used_bytes{{{labels}}}", "values": used},
        {"series": f"kubelet_volume_stats_capacity_bytes{{{labels}}}", "values": capacity},
    ]


def spawn_buckets(**by_le: str) -> list[dict]:
    return [
        {"series": f'{SPAWNS}_bucket{{{HUB}, status="success", le="{le}"}}', "values": values}
        for le, values in by_le.items()
    ]


def alert(name: str, at: str, series: list[dict], fired: list[dict[str, Any]]) -> dict:
    """A promtool test: ``series``, then at ``at`` exactly the alerts in ``fired``."""
    rule = next(r for r in RULES["groups"][0]["rules"] if r["alert"] == name)
    return {
        "interval": "1m",
        "input_series": series,
        "alert_rule_test": [
            {
                "eval_time": at,
                "alertname": name,
                "exp_alerts": [
                    {
                        "exp_labels": {"severity": rule["labels"]["severity"], **f["labels"]},
                        "exp_annotations": {
                            "summary": f["summary"],
                            "description": rule["annotations"]["description"],
                            "runbook_url": rule["annotations"]["runbook_url"],
                        },
                    }
                    for f in fired
                ],
            }
        ],
    }


RULES = monitoring.prometheus_rule(SETTINGS, VALUES)
HUB_LABELS = {"namespace": NS, "job": "hub"}
PROXY_LABELS = {"namespace": NS, "job": "jhub-up2u-proxy-metrics"}

# alert -> (fires, stays quiet): each a list of (what it shows, promtool test)
CASES: dict[str, dict[str, list[tuple[str, dict]]]] = {
    "JupyterHubDown": {
        "fires": [
            ("scrapes fail for 6 minutes", alert("JupyterHubDown", "8m",
                [{"series": f"up{{{HUB}}}", "values": "1 1 0x10"}],
                [{"labels": HUB_LABELS, "summary": "JupyterHub in jhub is unreachable"}])),
            ("the target is gone", alert("JupyterHubDown", "6m",
                [{"series": 'up{namespace="elsewhere", job="hub"}', "values": "1x10"}],
                [{"labels": HUB_LABELS, "summary": "JupyterHub in jhub is unreachable"}])),
        ],
        "quiet": [
            ("every scrape succeeds", alert("JupyterHubDown", "8m",
                [{"series": f"up{{{HUB}}}", "values": "1x10"}], [])),
            ("a 2-minute blip", alert("JupyterHubDown", "8m",
                [{"series": f"up{{{HUB}}}", "values": "1 0 0 1x10"}], [])),
        ],
    },
    "JupyterHubProxyDown": {
        "fires": [
            ("scrapes fail for 6 minutes", alert("JupyterHubProxyDown", "8m",
                [{"series": f"up{{{PROXY}}}", "values": "1 1 0x10"}],
                [{"labels": PROXY_LABELS,
                  "summary": "The JupyterHub proxy in jhub is unreachable"}])),
            ("the target is gone (only the hub is scraped)", alert("JupyterHubProxyDown", "6m",
                [{"series": f"up{{{HUB}}}", "values": "1x10"}],
                [{"labels": PROXY_LABELS,
                  "summary": "The JupyterHub proxy in jhub is unreachable"}])),
        ],
        "quiet": [
            ("every scrape succeeds", alert("JupyterHubProxyDown", "8m",
                [{"series": f"up{{{PROXY}}}", "values": "1x10"}], [])),
        ],
    },
    "JupyterHubSpawnFailures": {
        "fires": [
            ("half the starts fail", alert("JupyterHubSpawnFailures", "25m",
                [{"series": f'{SPAWNS}_count{{{HUB}, status="failure"}}', "values": "0+1x30"},
                 {"series": f'{SPAWNS}_count{{{HUB}, status="success"}}', "values": "0+1x30"}],
                [{"labels": {"namespace": NS},
                  "summary": "50% of server starts failed in jhub"}])),
        ],
        "quiet": [
            ("one start in ten fails (below 20%)", alert("JupyterHubSpawnFailures", "25m",
                [{"series": f'{SPAWNS}_count{{{HUB}, status="failure"}}', "values": "0+1x30"},
                 {"series": f'{SPAWNS}_count{{{HUB}, status="success"}}', "values": "0+9x30"}],
                [])),
            ("no starts at all", alert("JupyterHubSpawnFailures", "25m",
                [{"series": f'{SPAWNS}_count{{{HUB}, status="failure"}}', "values": "0x30"},
                 {"series": f'{SPAWNS}_count{{{HUB}, status="success"}}', "values": "0x30"}],
                [])),
        ],
    },
    "JupyterHubSlowSpawns": {
        "fires": [
            ("every start takes 2 to 5 minutes", alert("JupyterHubSlowSpawns", "40m",
                spawn_buckets(**{"60": "0x45", "120": "0x45", "300": "0+1x45",
                                 "+Inf": "0+1x45"}),
                [{"labels": {"namespace": NS},
                  "summary": "Server starts in jhub take 4m 42s (p90)"}])),
        ],
        "quiet": [
            ("every start takes under a minute", alert("JupyterHubSlowSpawns", "40m",
                spawn_buckets(**{"60": "0+1x45", "120": "0+1x45", "300": "0+1x45",
                                 "+Inf": "0+1x45"}),
                [])),
        ],
    },
    "JupyterHubSpawnsRefused": {
        "fires": [
            ("activeServerLimit turns a user away", alert("JupyterHubSpawnsRefused", "6m",
                [{"series": f'{SPAWNS}_count{{{HUB}, status="too-many-users"}}',
                  "values": "0 0 0 1x10"},
                 {"series": f'{SPAWNS}_count{{{HUB}, status="throttled"}}', "values": "0x12"}],
                [{"labels": {"namespace": NS, "status": "too-many-users"},
                  "summary": "JupyterHub in jhub refused server starts (too-many-users)"}])),
        ],
        "quiet": [
            ("only successful starts", alert("JupyterHubSpawnsRefused", "6m",
                [{"series": f'{SPAWNS}_count{{{HUB}, status="too-many-users"}}',
                  "values": "0x12"},
                 {"series": f'{SPAWNS}_count{{{HUB}, status="success"}}', "values": "0+1x12"}],
                [])),
        ],
    },
    "JupyterHubUserVolumeFilling": {
        "fires": [
            ("a user's volume is 95% full", alert("JupyterHubUserVolumeFilling", "15m",
                volume("claim-ada", "95x40") + volume("claim-bob", "10x40"),
                [{"labels": {"namespace": NS, "persistentvolumeclaim": "claim-ada",
                             "job": "kubelet"},
                  "summary": "Volume claim-ada in jhub is 95% full"}])),
        ],
        "quiet": [
            ("volumes half full; full volumes that are not users' or not ours",
             alert("JupyterHubUserVolumeFilling", "15m",
                   volume("claim-ada", "50x40") + volume("hub-db-dir", "99x40")
                   + volume("claim-eve", "99x40", namespace="other"), [])),
        ],
    },
    "JupyterHubCullerNotRunning": {
        "fires": [
            ("the hub runs but nobody lists users", alert("JupyterHubCullerNotRunning", "20m",
                [{"series": f"process_start_time_seconds{{{HUB}}}", "values": "0x30"},
                 {"series": LIST_USERS, "values": "4x30"}],
                [{"labels": {"namespace": NS},
                  "summary": "The idle culler in jhub has stopped checking"}])),
        ],
        "quiet": [
            ("the culler lists users every 3 minutes", alert("JupyterHubCullerNotRunning", "20m",
                [{"series": f"process_start_time_seconds{{{HUB}}}", "values": "0x30"},
                 {"series": LIST_USERS, "values": "1 1 1 2 2 2 3 3 3 4 4 4 5 5 5 6 6 6 7 7 7"}],
                [])),
            ("the hub started 5 minutes ago", alert("JupyterHubCullerNotRunning", "25m",
                [{"series": f"process_start_time_seconds{{{HUB}}}",
                  "values": "_x20 1200x10"},
                 {"series": LIST_USERS, "values": "_x20 1x10"}],
                [])),
        ],
    },
    "JupyterHubDatabaseVolumeFilling": {
        "fires": [
            ("the SQLite volume is 85% full", alert("JupyterHubDatabaseVolumeFilling", "15m",
                volume("hub-db-dir", "85x40"),
                [{"labels": {"namespace": NS, "persistentvolumeclaim": "hub-db-dir",
                             "job": "kubelet"},
                  "summary": "The hub database volume in jhub is 85% full"}])),
        ],
        "quiet": [
            ("half full, while a user's volume is full", alert(
                "JupyterHubDatabaseVolumeFilling", "15m",
                volume("hub-db-dir", "50x40") + volume("claim-ada", "99x40"), [])),
        ],
    },
}  # fmt: skip


def storage_panel_tests() -> list[dict]:
    """promtool expression tests for each panel of the storage dashboard (kubelet metrics)."""
    queries = dict(monitoring.panel_queries(monitoring.dashboards(SETTINGS, VALUES)["storage"]))
    series = (
        volume("claim-ada", "95x10")
        + volume("claim-bob", "25x10")
        + volume("hub-db-dir", "30x10", capacity="120x10")
        + volume("claim-eve", "99x10", namespace="other")
    )
    kubelet = 'job="kubelet", namespace="jhub"'
    expected = {
        "Fullest user volumes": [
            {"labels": f'{{{kubelet}, persistentvolumeclaim="claim-ada"}}', "value": 0.95},
            {"labels": f'{{{kubelet}, persistentvolumeclaim="claim-bob"}}', "value": 0.25},
        ],
        "User volumes above the alert threshold": [{"labels": "{}", "value": 1}],
        "Hub database volume": [
            {"labels": f'{{{kubelet}, persistentvolumeclaim="hub-db-dir"}}', "value": 0.25}
        ],
    }
    assert set(queries) == set(expected), "a storage panel without a promtool case"
    return [
        {
            "interval": "1m",
            "input_series": series,
            "promql_expr_test": [
                {"expr": queries[title], "eval_time": "5m", "exp_samples": samples}
                for title, samples in expected.items()
            ],
        }
    ]


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PROMTOOL, *args], capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def rule_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("rules") / "rules.yaml"
    path.write_text(yaml.safe_dump(RULES, sort_keys=False))
    return path


def write_tests(rule_file: Path, tests: list[dict]) -> Path:
    path = rule_file.with_name(f"tests-{len(list(rule_file.parent.iterdir()))}.yaml")
    document = {"rule_files": [rule_file.name], "evaluation_interval": "1m", "tests": tests}
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


def test_promtool_accepts_the_rendered_rules(rule_file):
    result = promtool("check", "rules", str(rule_file))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(RULES['groups'][0]['rules'])} rules found" in result.stdout


def test_every_alert_has_a_case_that_fires_and_one_that_stays_quiet():
    names = [rule["alert"] for rule in RULES["groups"][0]["rules"]]
    assert sorted(names) == sorted(CASES)
    assert all(CASES[name]["fires"] and CASES[name]["quiet"] for name in names)


@pytest.mark.parametrize(
    ("name", "outcome", "what", "case"),
    [
        pytest.param(name, outcome, what, case, id=f"{name}-{outcome}-{what}")
        for name, outcomes in CASES.items()
        for outcome, cases in outcomes.items()
        for what, case in cases
    ],
)
def test_alert(rule_file, name, outcome, what, case):
    result = promtool("test", "rules", str(write_tests(rule_file, [case])))
    assert result.returncode == 0, result.stdout + result.stderr


def test_storage_dashboard_panels_on_kubelet_series(rule_file):
    result = promtool("test", "rules", str(write_tests(rule_file, storage_panel_tests())))
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_wrong_expectation_fails(rule_file):
    # the harness bites: the hub down for 6 minutes, but we claim nothing fires
    wrong = alert("JupyterHubDown", "8m", [{"series": f"up{{{HUB}}}", "values": "1 1 0x10"}], [])
    result = promtool("test", "rules", str(write_tests(rule_file, [wrong])))
    assert result.returncode != 0
    assert "JupyterHubDown" in result.stdout + result.stderr


def test_names_from_helm_values_cannot_break_the_queries(tmp_path):
    # fullnameOverride comes from helmValues unchecked: a quote must stay inside its label value
    settings = committed_settings(
        "prod", monitoring={"enabled": True}, helmValues={"fullnameOverride": 'x" or vector(1) #'}
    )
    rules = monitoring.prometheus_rule(settings, build_values(settings, ChartSecrets(*"pckh")))
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(rules))
    result = promtool("check", "rules", str(path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert 'job="x\\" or vector(1) #-hub"' in rules["groups"][0]["rules"][0]["expr"]
