"""Hub database backups: the sidecar's values, its program against a real S3-compatible server
(moto's server mode on 127.0.0.1), the stale-backup alert under promtool, and the drill end to
end: backups taken while the preview's hub is busy, one restored into a new preview, which then
knows the same users and groups.
"""

import io
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from argparse import Namespace
from datetime import UTC, datetime, timedelta

import pytest
import requests
import yaml

from tests.conftest import ROOT, committed_settings, write_stack
from tests.preview_session import sign_in_and_start
from tests.test_values import assert_schema_valid
from up2u_jupyter import monitoring
from up2u_jupyter.cli import run as cli
from up2u_jupyter.preview.plan import free_port
from up2u_jupyter.preview.processes import Preview
from up2u_jupyter.pupildata import backup
from up2u_jupyter.pupildata.helm import FORGET_TOKEN_ENV
from up2u_jupyter.pupildata.names import BACKUP_LAST_SUCCESS, BACKUP_METRICS_PORT
from up2u_jupyter.stackfile import read_stack_config
from up2u_jupyter.values import ChartSecrets, build_values

pytest.importorskip("moto")
SECRETS = ChartSecrets("p", "c", "k", "h")
GROUP = "urn:geant:eduteams.org:service:up2u:group:jupyter-dev#eduteams.org"  # dev's group


# --- the values --------------------------------------------------------------------------------


def test_prod_runs_the_backup_sidecar_with_its_keys_from_the_credentials_secret(
    chart_defaults, chart_schema
):
    values = build_values(committed_settings("prod"), SECRETS)
    (sidecar,) = values["hub"]["extraContainers"]
    assert sidecar["image"] == "registry.up2u.example.org/jupyter/k8s-hub:4.4.0-up2u.1"
    assert sidecar["command"][:4] == ["python3", "-m", "up2u_jupyter.pupildata.backup", "run"]
    assert "--bucket=up2u-jupyter-backups" in sidecar["command"]
    assert {"--every=86400", "--keep=14", "--prefix=jhub/"} <= set(sidecar["command"])
    keys = {e["name"]: e["valueFrom"]["secretKeyRef"] for e in sidecar["env"] if "valueFrom" in e}
    assert keys == {
        "AWS_ACCESS_KEY_ID": {"name": "jhub-up2u-credentials",
                              "key": "env-UP2U_BACKUP_S3_ACCESS_KEY_ID"},
        "AWS_SECRET_ACCESS_KEY": {"name": "jhub-up2u-credentials",
                                  "key": "env-UP2U_BACKUP_S3_SECRET_ACCESS_KEY"},
    }  # fmt: skip
    assert sidecar["volumeMounts"] == [{"name": "pvc", "mountPath": "/srv/jupyterhub"}]
    context = sidecar["securityContext"]
    assert context["runAsNonRoot"] and context["capabilities"] == {"drop": ["ALL"]}
    assert context["allowPrivilegeEscalation"] is False
    assert values["hub"]["service"]["extraPorts"][0]["port"] == BACKUP_METRICS_PORT
    assert_schema_valid(values, chart_defaults, chart_schema)


def test_prometheus_scrapes_the_sidecar_through_the_hub_service_and_its_network_policy():
    settings = committed_settings("prod")
    values = build_values(settings, SECRETS)
    endpoints = monitoring.service_monitors(settings, values)["hub"]["endpoints"]
    assert {"port": "backup-metrics", "path": "/metrics", "interval": "30s"} in endpoints
    ports = [p["port"] for rule in values["hub"]["networkPolicy"]["ingress"] for p in rule["ports"]]
    assert sorted(ports) == [8081, BACKUP_METRICS_PORT]


def test_a_stack_without_backups_has_no_sidecar():
    values = build_values(committed_settings("dev"), SECRETS)
    assert "extraContainers" not in values["hub"]
    assert "service" not in values["hub"]


# --- the stale-backup alert --------------------------------------------------------------------

PROMTOOL = shutil.which("promtool")
HUB = 'namespace="jhub", job="hub"'


def alert_case(at, series, fires):
    rule = next(
        r
        for r in monitoring.prometheus_rule(
            committed_settings("prod"), build_values(committed_settings("prod"), SECRETS)
        )["groups"][0]["rules"]
        if r["alert"] == "JupyterHubDatabaseBackupStale"
    )
    expected = [
        {
            "exp_labels": {"severity": "critical", "namespace": "jhub", "job": "hub"},
            "exp_annotations": {
                "summary": "The newest hub database backup in jhub is too old or missing",
                "description": rule["annotations"]["description"],
                "runbook_url": "docs/pupils-data.md#jupyterhubdatabasebackupstale",
            },
        }
    ]
    return {
        "interval": "10m",
        "input_series": series,
        "alert_rule_test": [{"eval_time": at, "alertname": "JupyterHubDatabaseBackupStale",
                             "exp_alerts": expected if fires else []}],
    }  # fmt: skip


def newest(values):
    return [{"series": f"{BACKUP_LAST_SUCCESS}{{{HUB}, instance=\"10.0.0.5:9721\"}}",
             "values": values}]  # fmt: skip


# prod backs up every 24 h, so the alert fires when the newest backup is more than 48 h old;
# series are sampled every 10 minutes, and the value is the newest backup's Unix time
CASES = {
    "one backup at time 0, 49 hours later": ("49h", newest("0x300"), True),
    "one backup at time 0, 47 hours later": ("47h", newest("0x300"), False),
    "a backup every day (the value steps every 144 samples)": (
        "49h", newest("0x143 86400x143 172800x20"), False),
    "no backup metric at all (sidecar down or never succeeded)": (
        "1h", [{"series": f'up{{{HUB}}}', "values": "1x10"}], True),
}  # fmt: skip


@pytest.mark.skipif(PROMTOOL is None and not os.environ.get("CI"), reason="promtool missing")
@pytest.mark.parametrize("what", list(CASES))
def test_the_stale_backup_alert(tmp_path, what):
    at, series, fires = CASES[what]
    settings = committed_settings("prod")
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        yaml.safe_dump(monitoring.prometheus_rule(settings, build_values(settings, SECRETS)))
    )
    tests = tmp_path / "tests.yaml"
    # every 5 minutes: the rule's `for: 15m` still spans three evaluations, and 49 hours are
    # ~600 of them (every minute took ~3 s a case)
    tests.write_text(yaml.safe_dump({"rule_files": ["rules.yaml"], "evaluation_interval": "5m",
                                     "tests": [alert_case(at, series, fires)]}))  # fmt: skip
    result = subprocess.run([str(PROMTOOL), "test", "rules", str(tests)], capture_output=True,
                            text=True, timeout=120)  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


# --- the program, against moto's S3 server -----------------------------------------------------


@pytest.fixture(scope="module")
def s3():
    """moto's S3-compatible server on 127.0.0.1, and keys it accepts."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            requests.get(url + "/moto-api/", timeout=2)
            break
        except requests.ConnectionError:
            time.sleep(0.2)
    old = {k: os.environ.get(k) for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
    os.environ.update(AWS_ACCESS_KEY_ID="test-id", AWS_SECRET_ACCESS_KEY="test-key")
    yield url
    for key, value in old.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def store(s3, request):
    bucket = f"b-{request.node.name.replace('_', '-')[:40].lower()}"
    store = backup.Store(bucket, "jhub/", endpoint_url=s3)
    store.create_bucket()
    return store


PAGES = "x" * 20_000


def database_being_written(path, stop):
    """A SQLite database that a writer keeps changing: two rows per transaction."""
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)")
    connection.execute("CREATE TABLE groups (id INTEGER PRIMARY KEY, name TEXT)")
    # ~4 MB before the first backup: a copy takes long enough to overlap a commit
    connection.executemany("INSERT INTO users (name) VALUES (?)", [(PAGES,)] * 200)
    connection.commit()

    def write():
        writer = sqlite3.connect(path, timeout=30)
        n = 0
        while not stop.is_set():
            with writer:  # one transaction: both rows or neither
                # rows of several pages each: a commit rewrites many pages, which a copy that
                # is not one consistent read would catch half-written
                writer.execute("INSERT INTO users (name) VALUES (?)", (f"u{n}" + PAGES,))
                writer.execute("INSERT INTO users (name) VALUES (?)", (f"u{n}-pair" + PAGES,))
            n += 1
            time.sleep(0.001)  # a busy hub, not a lock held back to back (backups waited ~1 s)
        writer.close()

    thread = threading.Thread(target=write)
    thread.start()
    return thread


def test_backups_of_a_database_being_written_are_whole_transactions(store, tmp_path):
    stop = threading.Event()
    database = tmp_path / "jupyterhub.sqlite"
    writer = database_being_written(database, stop)
    try:
        seen = []
        start = datetime.now(UTC)
        for second in range(10):
            # keys are per second: each backup its own second, without waiting for it
            taken = backup.backup_once(store, database, now=start + timedelta(seconds=second))
            to = tmp_path / f"restored-{len(seen)}.sqlite"
            key, counts = backup.restore(store, to, taken.key)
            assert key == taken.key
            seen.append(counts["users"])
    finally:
        stop.set()
        writer.join()
    # every copy passed the integrity check and holds whole transactions only
    assert all(n % 2 == 0 for n in seen), seen
    assert seen == sorted(seen) and seen[-1] > seen[0]


def test_only_the_newest_backups_are_kept(store, tmp_path):
    database = tmp_path / "jupyterhub.sqlite"
    sqlite3.connect(database).execute("CREATE TABLE users (id INTEGER)").connection.commit()
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for day in range(5):
        backup.backup_once(store, database, now=start + timedelta(days=day))
    deleted = backup.prune(store, keep=3)
    assert deleted == ["jhub/jupyterhub-20260101T000000Z.sqlite.gz",
                       "jhub/jupyterhub-20260102T000000Z.sqlite.gz"]  # fmt: skip
    assert [b.taken.day for b in store.backups()] == [3, 4, 5]


def test_restore_checks_what_it_writes_and_never_overwrites(store, tmp_path):
    database = tmp_path / "jupyterhub.sqlite"
    sqlite3.connect(database).execute("CREATE TABLE users (id INTEGER)").connection.commit()
    backup.backup_once(store, database)
    with pytest.raises(backup.BackupError, match="exists; choose another file"):
        backup.restore(store, database)
    bogus = tmp_path / "bogus.gz"
    bogus.write_bytes(b"not a gzip at all")
    key = "jhub/jupyterhub-20300101T000000Z.sqlite.gz"
    store.upload(bogus, key)
    with pytest.raises(backup.BackupError, match="is not a gzipped backup"):
        backup.restore(store, tmp_path / "x.sqlite", key)
    assert not (tmp_path / "x.sqlite").exists()
    with pytest.raises(backup.BackupError, match="no database at"):
        backup.backup_once(store, tmp_path / "missing.sqlite")
    assert not (tmp_path / "missing.sqlite").exists()  # never created by the attempt


def keys_in(store):
    try:
        return [b.key for b in store.backups()]
    except Exception:  # the loop has not made its bucket yet
        return []


@pytest.mark.slow  # waits for the schedule
def test_the_sidecar_loop_backs_up_on_schedule_prunes_and_reports(s3, tmp_path):
    database = tmp_path / "jupyterhub.sqlite"
    sqlite3.connect(database).execute("CREATE TABLE users (id INTEGER)").connection.commit()
    port = free_port()
    args = Namespace(bucket="sidecar", prefix="jhub/", endpoint_url=s3, region="us-east-1",
                     database=database, every=1, keep=2, metrics_port=port,
                     metrics_host="127.0.0.1", create_bucket=True)  # fmt: skip
    stop = threading.Event()
    loop = threading.Thread(target=backup.run, args=(args, stop))
    loop.start()
    store = backup.Store("sidecar", "jhub/", endpoint_url=s3)
    try:
        first = None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # until a third backup has pruned the first
            keys = keys_in(store)
            first = first or (keys[0] if keys else None)
            if first and len(keys) == 2 and first not in keys:
                break
            time.sleep(0.2)
        metrics = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    finally:
        stop.set()
        loop.join(timeout=30)
    backups = store.backups()
    assert len(backups) == 2  # several taken, the newest two kept
    newest = next(line for line in metrics.splitlines() if line.startswith(BACKUP_LAST_SUCCESS))
    assert abs(float(newest.split()[1]) - backups[-1].taken.timestamp()) <= 1
    assert "up2u_hub_db_backup_failures_total 0" in metrics
    # a restarted sidecar counts from the newest backup in the bucket, not from its start
    now = backups[-1].taken + timedelta(seconds=0.25)
    assert backup.next_due(backups[-1].taken, 60, now) == pytest.approx(59.75)


# --- the drill, end to end ---------------------------------------------------------------------


def backed_up_dev(**backups):
    return committed_settings(
        "dev",
        dataProtection={"backups": {"enabled": True, "bucket": "up2u-dev-backups", **backups}},
    )


@pytest.mark.e2e
@pytest.mark.slow  # waits for backups on their schedule
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_backups_taken_while_the_hub_is_busy_restore_into_a_new_preview(
    project_dir, tmp_path, monkeypatch
):
    users = ["group-member-1", "0a1b2c3d4e5f60718293a4b5c6d7e8f9@eduteams.org"]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "preview")  # moto takes any keys
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "preview")
    with Preview(backed_up_dev(every="3s", keep=4), "dev", port=free_port()) as first:
        storage = next(p.url for p in first.plan.processes if p.url)
        token = first.plan.env[FORGET_TOKEN_ENV]
        api = f"http://127.0.0.1:{first.ports.hub}/hub/api/"
        busy, requests_made = threading.Event(), []

        def keep_the_hub_busy():
            while not busy.is_set():
                for name in users:
                    requests.get(api + f"users/{name}", headers={"Authorization": f"token {token}"},
                                 timeout=30)  # fmt: skip
                    requests_made.append(name)

        hammer = threading.Thread(target=keep_the_hub_busy)
        busy_since = datetime.now(UTC).replace(microsecond=0)
        hammer.start()
        try:
            for name in users:  # sign-ins and server starts write to the database meanwhile
                sign_in_and_start(first, name)
            signed_in = datetime.now(UTC)
            deadline = time.monotonic() + 60
            store = backup.Store("up2u-dev-backups", "jhub-dev/", endpoint_url=storage)
            while time.monotonic() < deadline:
                if any(b.taken > signed_in for b in store.backups()):
                    break
                time.sleep(1)
        finally:
            busy.set()
            hammer.join()
            busy_until = datetime.now(UTC)
        assert len(requests_made) > 20
        sidecar_log = (first.state / "hub-db-backup.log").read_text()
        assert "backup failed" not in sidecar_log
        taken = [
            datetime.strptime(key, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
            for key in re.findall(r"backup jhub-dev/jupyterhub-(\w+)\.sqlite\.gz", sidecar_log)
        ]
        assert sum(busy_since <= t <= busy_until for t in taken) >= 2, taken  # fmt: skip

        # the operator's restore, with the stack's bucket and the preview's object storage
        backups = {"backups": {"enabled": True, "bucket": "up2u-dev-backups"}}
        dev = read_stack_config(ROOT, "dev").values
        write_stack(project_dir, "dev", {**dev, "dataProtection": backups})
        restored = tmp_path / "restored.sqlite"
        out, err = io.StringIO(), io.StringIO()
        code = cli(["restore-hub-db", "--stack", "dev", "--project-dir", str(project_dir),
                    "--to", str(restored), "--endpoint-url", storage], out, err)  # fmt: skip
        assert code == 0, err.getvalue()
        assert out.getvalue().startswith("restored jhub-dev/jupyterhub-")

    with sqlite3.connect(restored) as db:
        in_backup = {name for (name,) in db.execute("SELECT name FROM users")}
        groups = {name for (name,) in db.execute("SELECT name FROM groups")}
    # dev's group, and its class's two (JupyterHub makes the groups its roles name at start)
    assert set(users) <= in_backup and GROUP in groups

    with Preview(committed_settings("dev"), "dev", port=free_port(), database=restored) as second:
        api = f"http://127.0.0.1:{second.ports.hub}/hub/api/"
        headers = {"Authorization": f"token {second.plan.env[FORGET_TOKEN_ENV]}"}
        for name in users:
            model = requests.get(api + f"users/{name}", headers=headers, timeout=30).json()
            assert model["name"] == name
        member = requests.get(api + "users/group-member-1", headers=headers, timeout=30).json()
        assert member["groups"] == [GROUP]
