"""What the preview swaps for dataProtection (the plan): the forget-user token, the retention
service's Kubernetes side, and the backup sidecar with its object storage."""

import sys

from tests.conftest import ROOT, committed_settings
from up2u_jupyter.preview.plan import Ports, local_plan
from up2u_jupyter.pupildata.helm import FORGET_TOKEN_ENV

PORTS = Ports(public=8000, hub=8081, proxy_api=8001, oidc=9400)


def test_the_forget_user_token_is_generated_per_run():
    first = local_plan(committed_settings("dev"), PORTS)
    second = local_plan(committed_settings("dev"), PORTS)
    assert len(bytes.fromhex(first.env[FORGET_TOKEN_ENV])) == 32
    assert first.env[FORGET_TOKEN_ENV] != second.env[FORGET_TOKEN_ENV]
    assert first.processes == []  # no backups in dev


def test_the_retention_service_runs_here_on_the_state_folders_claims():
    plan = local_plan(committed_settings("dev", dataProtection={"retention": "30d"}), PORTS)
    service = plan.values["hub"]["services"]["data-retention"]
    assert service["command"][0] == sys.executable
    assert "--claims-file=volumes.json" in service["command"]
    assert not any(part.startswith("--kube-token-dir") for part in service["command"])
    assert service["environment"]["PYTHONPATH"] == str(ROOT)
    assert any(swap.startswith("data-retention's Kubernetes claims") for swap in plan.swaps)


def test_the_backup_sidecar_runs_its_own_command_against_local_object_storage():
    backups = {"backups": {"enabled": True, "bucket": "up2u-dev-backups", "every": "1h"}}
    plan = local_plan(committed_settings("dev", dataProtection=backups), PORTS)
    storage, sidecar = plan.processes
    assert storage.argv[1:3] == ["-m", "moto.server"] and storage.url.startswith(
        "http://127.0.0.1:"
    )
    assert sidecar.argv[:5] == [sys.executable, "-m", "up2u_jupyter.pupildata.backup", "run",
                                "--bucket=up2u-dev-backups"]  # fmt: skip
    assert f"--endpoint-url={storage.url}" in sidecar.argv
    assert "--database=jupyterhub.sqlite" in sidecar.argv and "--every=3600" in sidecar.argv
    assert set(sidecar.env) >= {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}
    assert any("moto's S3 server" in swap for swap in plan.swaps)
